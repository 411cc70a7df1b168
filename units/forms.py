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


# --- Quality assurance ---------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "form-control", **(attrs or {})}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    """The period a sample is drawn from (both days included)."""

    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The period must start before it ends."))
        return data

    def __init__(self, *args, default: tuple, **kwargs):
        super().__init__(*args, **kwargs)
        # Shown filled in, so the page says which period it is drawn from.
        self.fields["date_from"].initial, self.fields["date_to"].initial = default
        self.default = default

    def period(self, default: tuple | None = None) -> tuple:
        """The chosen period, the default filling in what is not chosen (or invalid)."""
        default = default or self.default
        if not self.is_bound or not self.is_valid():
            return default
        start = self.cleaned_data["date_from"] or default[0]
        end = self.cleaned_data["date_to"] or max(default[1], start)
        return start, end


class SampleFilterForm(forms.Form):
    """Which of the period's decisions to list: the sample is drawn from them all."""

    SHOW = [
        ("sample", gettext_lazy("The sample: proposed and verified")),
        ("proposed", gettext_lazy("Proposed, not yet verified")),
        ("verified", gettext_lazy("Verified")),
        ("all", gettext_lazy("Every decision of the period")),
    ]
    OUTCOMES = [
        ("", gettext_lazy("Accepted and returned")),
        ("accepted", pgettext_lazy("decision outcome", "Accepted")),
        ("needs_revision", gettext_lazy("Returned for revision")),
    ]
    SELECT = {"class": "form-select"}
    PEOPLE = {"translate": "no", "dir": "auto"}

    show = forms.ChoiceField(
        label=gettext_lazy("Show"), choices=SHOW, required=False, widget=Select(attrs=SELECT)
    )
    assessor = forms.TypedChoiceField(
        label=gettext_lazy("Assessor"),
        coerce=int,
        required=False,
        widget=TaggedSelect(lambda value: SampleFilterForm.PEOPLE, attrs=SELECT),
    )
    # Typed, not chosen: a period may hold thousands of candidates.
    candidate = forms.CharField(
        label=gettext_lazy("Candidate"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "dir": "auto"}),
        help_text=gettext_lazy("A name or username, or part of one."),
    )
    unit = forms.TypedChoiceField(
        label=gettext_lazy("Unit"),
        coerce=int,
        required=False,
        widget=TaggedSelect(lambda value: {"lang": "en"}, attrs=SELECT),
    )
    criterion = forms.RegexField(
        label=gettext_lazy("Criterion"),
        regex=r"^\d{1,3}\.\d{1,3}$",
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "3.1"}),
        error_messages={"invalid": gettext_lazy("A criterion is written like 3.1.")},
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=OUTCOMES,
        required=False,
        widget=Select(attrs=SELECT),
    )

    def __init__(self, *args, assessors, units, **kwargs):
        """The choices are the period's own assessors and units (lists, read once)."""
        super().__init__(*args, **kwargs)
        self.fields["assessor"].choices = [("", gettext("All assessors"))] + [
            (person.pk, person.get_full_name() or person.username) for person in assessors
        ]
        self.fields["unit"].choices = [("", gettext("All units"))] + [
            (unit.pk, f"{unit.code} {unit.title}") for unit in units
        ]

    def candidate_words(self) -> list[str]:
        data = self.cleaned_data if self.is_valid() else {}
        return (data.get("candidate") or "").split()[:4]

    def row_filter(self, candidates: set[int] | None):
        """A test of whether a decision of the period (units.sampling.Sampled, in a
        state) is listed; candidates: the ids the candidate filter matched, if used.
        Built once: it runs for every decision of the period."""
        data = self.cleaned_data if self.is_valid() else {}
        show = data.get("show") or "sample"
        states = {
            "sample": {"proposed", "verified"},
            "proposed": {"proposed"},
            "verified": {"verified"},
        }.get(show)
        wanted = {
            name: data[name]
            for name in ("assessor", "unit", "criterion", "outcome")
            if data.get(name)
        }
        fields = {"assessor": "assessor_id", "unit": "unit_id", "criterion": "criterion_code"}

        def keeps(row, state: str) -> bool:
            if states is not None and state not in states:
                return False
            if candidates is not None and row.candidate_id not in candidates:
                return False
            return all(
                getattr(row, fields.get(name, name)) == value for name, value in wanted.items()
            )

        return keeps


class SamplingPlanForm(forms.Form):
    """The plan, and a percentage of their own for any assessor (empty: the plan's)."""

    percentage = forms.IntegerField(
        label=gettext_lazy("Percentage of each assessor's decisions"),
        min_value=0,
        max_value=100,
        # xgettext:no-python-format
        help_text=gettext_lazy("Rounded up: 10% of 3 decisions is 1."),
        widget=forms.NumberInput(attrs={"class": "form-control", "min": 0, "max": 100}),
    )
    every_unit = forms.BooleanField(
        label=gettext_lazy("At least one decision on every unit"),
        required=False,
    )

    def __init__(self, *args, assessors, plan, **kwargs):
        rules = plan.percentages()
        initial = {"percentage": plan.percentage, "every_unit": plan.every_unit}
        initial.update({f"rule_{a.pk}": rules.get(a.pk) for a in assessors})
        super().__init__(*args, initial=initial, **kwargs)
        self.assessors = assessors
        for assessor in assessors:
            self.fields[f"rule_{assessor.pk}"] = forms.IntegerField(
                label=assessor.get_full_name() or assessor.username,
                required=False,
                min_value=0,
                max_value=100,
                widget=forms.NumberInput(
                    attrs={"class": "form-control", "min": 0, "max": 100, "translate": "no"}
                ),
            )

    def rules(self) -> dict[int, int]:
        return {
            a.pk: self.cleaned_data[f"rule_{a.pk}"]
            for a in self.assessors
            if self.cleaned_data.get(f"rule_{a.pk}") is not None
        }

    def rule_fields(self):
        return [self[f"rule_{a.pk}"] for a in self.assessors]


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        label=gettext_lazy("Your verdict"),
        choices=[
            ("agree", gettext_lazy("Agree with the decision")),
            ("action", gettext_lazy("Agree, with an action for the assessor")),
            ("disagree", gettext_lazy("Disagree with the decision")),
        ],
        widget=forms.RadioSelect,
    )
    reason = AnswerTextField(
        label=gettext_lazy("Why you disagree"),
        required=False,
        strip=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Needed to disagree. If the answer is reopened, the candidate reads it."
        ),
    )
    action = AnswerTextField(
        label=gettext_lazy("What the assessor should do"),
        required=False,
        strip=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Needed for an action."),
    )
    feedback = AnswerTextField(
        label=gettext_lazy("Feedback to the assessor"),
        required=False,
        strip=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Markdown works here. The assessor reads it on their home page."),
    )
    reopen = forms.BooleanField(
        label=gettext_lazy("Reopen the answer so the candidate revises it (with a disagreement)"),
        required=False,
    )


class ConfirmUnitForm(forms.Form):
    declaration = forms.BooleanField(
        label=gettext_lazy(
            "I confirm that the answers in this unit are my own work, in my own words, "
            "and that my assessor's sign-off is a true record of my assessment."
        ),
        error_messages={"required": gettext_lazy("Tick the declaration to confirm the unit.")},
    )


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(
        choices=[("pdf", "PDF"), ("zip", pgettext_lazy("export format", "ZIP (PDF and JSON)"))]
    )
    # A unit of the portfolio, by its address; empty: the whole portfolio.
    unit = forms.SlugField(required=False, max_length=40)


class PortfolioSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Find a candidate"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "class": "form-control", "dir": "auto"}),
    )
