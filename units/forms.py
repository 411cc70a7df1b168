from django import forms

from .text import MAX_ANSWER_CHARS, clean_text

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
