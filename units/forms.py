from django import forms

from .models import Action
from .text import MAX_ANSWER_CHARS, MAX_COMMENT_CHARS, clean_text

DECLARATION = (
    "This answer is my own work, in my own words. I have used the model answers only as "
    "a guide to what the criterion asks, and have not copied or translated them."
)


class AnswerTextField(forms.CharField):
    def to_python(self, value):
        return clean_text(super().to_python(value))


class DraftForm(forms.Form):
    text = AnswerTextField(
        required=False,
        strip=False,
        max_length=MAX_ANSWER_CHARS,
        error_messages={
            "max_length": "An answer can be at most %(limit_value)s characters; "
            "this one has %(show_value)s. Nothing was saved from this change."
        },
    )
    version = forms.IntegerField(min_value=0)
    # Whose answer the page was loaded for (signed; checked by access.check_page_owner).
    owner = forms.CharField(max_length=200)


class SubmitForm(DraftForm):
    declaration = forms.BooleanField(
        label=DECLARATION,
        error_messages={"required": "Tick the declaration to confirm the answer is your own work."},
    )


class PreviewForm(forms.Form):
    text = AnswerTextField(required=False, strip=False, max_length=MAX_ANSWER_CHARS)


class CompareForm(forms.Form):
    a = forms.IntegerField(min_value=1)
    b = forms.IntegerField(min_value=1)


class CommentForm(forms.Form):
    body = AnswerTextField(
        label="Comment",
        strip=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown works here too.",
    )
    quote = AnswerTextField(
        label="Passage (optional)",
        required=False,
        strip=False,
        max_length=MAX_ANSWER_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Select text in the answer to fill this in, or paste the words you mean.",
    )
    quote_start = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)


class ReplyForm(forms.Form):
    body = AnswerTextField(
        label="Your reply",
        strip=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(action.value, action.label) for action in (Action.RETURN, Action.ACCEPT)],
        widget=forms.RadioSelect,
        label="Decision",
    )


class ReopenForm(forms.Form):
    reason = AnswerTextField(
        label="Reason for reopening",
        strip=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QueueFilterForm(forms.Form):
    STATUSES = [
        ("submitted", "Waiting for review"),
        ("needs_revision", "Returned"),
        ("accepted", "Accepted"),
        ("all", "All submitted at least once"),
    ]
    SELECT = {"class": "form-select"}
    status = forms.ChoiceField(choices=STATUSES, required=False, widget=forms.Select(attrs=SELECT))
    unit = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All units", widget=forms.Select(attrs=SELECT)
    )
    candidate = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="All candidates",
        widget=forms.Select(attrs=SELECT),
    )

    def __init__(self, *args, units, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["candidate"].queryset = candidates
        self.fields["candidate"].label_from_instance = lambda u: u.get_full_name() or u.username


def validated(form: forms.Form) -> dict:
    """The form's cleaned data, or the refusal its first error stands for."""
    from .errors import AnswerTooLong, Invalid

    if form.is_valid():
        return form.cleaned_data
    for errors in form.errors.as_data().values():
        for error in errors:
            refusal = AnswerTooLong if error.code == "max_length" else Invalid
            raise refusal(" ".join(error.messages))
    raise Invalid("Something in this form could not be used.")
