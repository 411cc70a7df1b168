import html

from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy, ngettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from .languages import INTERFACE_LANGUAGES, LANGUAGES
from .models import Action, Profile
from .text import MAX_ANSWER_CHARS, MAX_COMMENT_CHARS, clean_text

DECLARATION = gettext_lazy(
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
            # The plural follows limit_value (the most an answer may have).
            "max_length": ngettext_lazy(
                "An answer can be at most %(limit_value)s character; "
                "this one has %(show_value)s. Nothing was saved from this change.",
                "An answer can be at most %(limit_value)s characters; "
                "this one has %(show_value)s. Nothing was saved from this change.",
                "limit_value",
            )
        },
    )
    version = forms.IntegerField(min_value=0)
    # Whose answer the page was loaded for (signed; checked by access.check_page_owner).
    owner = forms.CharField(max_length=200)


class SubmitForm(DraftForm):
    declaration = forms.BooleanField(
        label=DECLARATION,
        error_messages={
            "required": gettext_lazy("Tick the declaration to confirm the answer is your own work.")
        },
    )


class PreviewForm(forms.Form):
    text = AnswerTextField(required=False, strip=False, max_length=MAX_ANSWER_CHARS)


class CompareForm(forms.Form):
    a = forms.IntegerField(min_value=1)
    b = forms.IntegerField(min_value=1)


class CommentForm(forms.Form):
    body = AnswerTextField(
        label=pgettext_lazy("noun", "Comment"),
        strip=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Markdown works here too."),
    )
    quote = AnswerTextField(
        label=gettext_lazy("Passage (optional)"),
        required=False,
        strip=False,
        max_length=MAX_ANSWER_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "Select text in the answer to fill this in, or paste the words you mean."
        ),
    )
    quote_start = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)


class ReplyForm(forms.Form):
    body = AnswerTextField(
        label=gettext_lazy("Your reply"),
        strip=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(action.value, action.label) for action in (Action.RETURN, Action.ACCEPT)],
        widget=forms.RadioSelect,
        label=gettext_lazy("Decision"),
    )


class ReopenForm(forms.Form):
    reason = AnswerTextField(
        label=gettext_lazy("Reason for reopening"),
        strip=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class Select(forms.Select):
    """Django's select, drawn in Python rather than by a template per option.

    The same HTML as the template renderer gives (a test compares them), at a
    small part of its cost: the review queue's filters have an option per unit and
    per candidate, and drawing 300 options through templates took 15 ms a page.
    Every value, label and attribute is escaped as Django's templates escape them
    (html.escape, which django.utils.html.escape calls), without the per-call
    laziness checks that cost as much again."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{_escape(widget["name"])}"{_attributes(widget["attrs"])}>']
        for group, options, _index in widget["optgroups"]:
            if group is not None:
                parts.append(f'<optgroup label="{_escape(group)}">')
            parts.extend(
                f'<option value="{_escape(option["value"])}"{_attributes(option["attrs"])}>'
                f"{_escape(option['label'])}</option>"
                for option in options
            )
            if group is not None:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part escaped above


def _escape(value) -> str:
    return html.escape(str(value), quote=True)


def _attributes(attrs: dict) -> str:
    """As Django's attrs.html: True gives the bare name, False and None nothing."""
    return "".join(
        f" {name}" if value is True else f' {name}="{_escape(value)}"'
        for name, value in attrs.items()
        if value is not False and value is not None
    )


class TaggedSelect(Select):
    """A select whose options are content rather than interface text, each marked
    for what it is: `attrs_for(value)` gives an option's extra attributes, such as
    its language ("한국어" in an English page, a unit's English title in a Korean
    one) or translate="no" for a person's name."""

    def __init__(self, attrs_for, attrs=None):
        super().__init__(attrs)
        self.attrs_for = attrs_for

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value):
            option["attrs"].update(self.attrs_for(str(value)))
        return option


def language_select(tags: dict[str, str]) -> TaggedSelect:
    return TaggedSelect(lambda value: {"lang": tags[value]} if value in tags else {})


class SearchForm(forms.Form):
    # No max_length: a long query is cut by the search itself, which says so.
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "class": "form-control", "dir": "auto"}),
    )


class QueueFilterForm(forms.Form):
    STATUSES = [
        ("submitted", gettext_lazy("Waiting for review")),
        ("needs_revision", pgettext_lazy("answer status", "Returned")),
        ("accepted", pgettext_lazy("answer status", "Accepted")),
        ("all", gettext_lazy("All submitted at least once")),
    ]
    SELECT = {"class": "form-select"}
    status = forms.ChoiceField(choices=STATUSES, required=False, widget=Select(attrs=SELECT))
    # Units are named in English (as assessed); people by their names, not translated.
    unit = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All units"),
        widget=TaggedSelect(lambda value: {"lang": "en"}, attrs=SELECT),
    )
    candidate = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All candidates"),
        widget=TaggedSelect(lambda value: {"translate": "no", "dir": "auto"}, attrs=SELECT),
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
    raise Invalid(_("Something in this form could not be used."))


class LanguagesForm(forms.ModelForm):
    """A person's two languages: the interface's and the model answers'."""

    class Meta:
        model = Profile
        fields = ["interface_language", "answer_language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        interface = self.fields["interface_language"]
        interface.widget = language_select(
            {language.code: language.tag for language in INTERFACE_LANGUAGES.values()}
        )
        interface.choices = [("", gettext("As my browser asks"))] + [
            (language.code, language.name) for language in INTERFACE_LANGUAGES.values()
        ]
        answers = self.fields["answer_language"]
        answers.widget = language_select({code: code for code in LANGUAGES})
        answers.choices = [("", gettext("The same as the interface"))] + [
            (language.code, language.name) for language in LANGUAGES.values()
        ]
