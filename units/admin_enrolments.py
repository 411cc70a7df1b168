"""Enrolments and qualifications in the admin: bulk enrolment, and a CSV of
usernames and unit codes.

- The people list (PersonAdmin) has two actions, "Enrol on units…" and "Unenrol
  from units…": a page to choose units or a qualification, naming who will be
  left out and why, then a confirmation.
- The enrolment list: add or delete single enrolments (deleting one unenrols;
  the candidate's answers stay), and "Upload a CSV": validate, preview, confirm
  or discard (units.enrolling does the work).

This module imports nothing from units.admin at load time: units.admin imports
it for PersonEnrolmentActions.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from . import enrolling, uploads
from .admin_common import page_context, require
from .errors import Invalid
from .models import ContentImport, Enrolment, Qualification, Unit


def left_out(reasons) -> list[str]:
    """A sentence for each group of people left out: [(reason, people)]."""
    return [enrolling.left_out_sentence(reason, people) for reason, people in reasons]


# --- Enrolling from the people list -------------------------------------------------


class UnitChoiceForm(forms.Form):
    """Units, a qualification, or both: together, the units to enrol on (or unenrol from)."""

    units = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Units"),
        queryset=Unit.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    qualification = forms.ModelChoiceField(
        label=gettext_lazy("Qualification"),
        queryset=Qualification.objects.all(),
        required=False,
        empty_label=gettext_lazy("(none)"),
        help_text=gettext_lazy("Every unit of the qualification."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].label_from_instance = unit_label

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("units") and not cleaned.get("qualification"):
            raise ValidationError(_("Choose at least one unit, or a qualification."))
        return cleaned

    def chosen_units(self) -> list:
        units = set(self.cleaned_data["units"])
        if self.cleaned_data["qualification"]:
            units.update(self.cleaned_data["qualification"].units.all())
        return sorted(units, key=lambda unit: unit.code)


DRAFTS_NOTE = gettext_lazy(
    "Some of these units are drafts: the candidates will see them once they are published."
)


def unit_label(unit) -> str:
    if unit.is_published:
        return str(unit)
    # Translators: a unit in a list of choices that candidates cannot see yet.
    return _("%(unit)s (draft: seen once published)") % {"unit": unit}


def _choose_units(modeladmin, request, queryset, *, enrolling_people: bool):
    """The page of both actions: choose units, see who is left out, confirm."""
    people = enrolling.sort_people(enrolling.with_candidacy(queryset), by=request.user)
    if enrolling_people:
        chosen, skipped = people.enrollable, left_out(people.skipped)
    else:
        # Anyone may be unenrolled, a candidate or not (any more), but only by
        # someone who may manage them.
        chosen = people.unenrollable
        skipped = left_out(people.left_out_of_unenrolling)
    form = UnitChoiceForm(request.POST if "confirm" in request.POST else None)
    select_across = request.POST.get("select_across") == "1"
    if form.is_valid() and chosen:
        units = form.chosen_units()
        if enrolling_people:
            done = enrolling.enrol(chosen, units, by=request.user)
            _report_enrolled(modeladmin, request, done)
            if any(not unit.is_published for unit in units):
                modeladmin.message_user(request, DRAFTS_NOTE, messages.INFO)
        else:
            _report_unenrolled(modeladmin, request, enrolling.unenrol(chosen, units))
        for sentence in skipped:
            modeladmin.message_user(request, sentence, messages.WARNING)
        return None  # back to the people list
    if enrolling_people:
        title, submit = _("Enrol on units"), _("Enrol")
    else:
        title, submit = _("Unenrol from units"), _("Unenrol")
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "submit_label": submit,
        "opts": modeladmin.model._meta,
        "form": form,
        "chosen": [enrolling.person_label(person) for person in chosen],
        "left_out": skipped,
        "enrolling": enrolling_people,
        "action": "enrol_people" if enrolling_people else "unenrol_people",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        # All matching people, however many: Django wants one id beside select_across.
        "select_across": select_across,
        "selected": [person.pk for person in people.everyone[: 1 if select_across else None]],
    }
    return TemplateResponse(request, "admin/units/enrolment/choose_units.html", context)


def _report_enrolled(modeladmin, request, done: enrolling.Enrolled) -> None:
    sentences = [
        ngettext("%(count)d new enrolment.", "%(count)d new enrolments.", done.created)
        % {"count": done.created}
    ]
    if done.existing:
        sentences.append(
            ngettext(
                "%(count)d enrolment was already there.",
                "%(count)d enrolments were already there.",
                done.existing,
            )
            % {"count": done.existing}
        )
    modeladmin.message_user(request, " ".join(sentences), messages.SUCCESS)


def _report_unenrolled(modeladmin, request, count: int) -> None:
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d enrolment ended. The candidates' answers are kept.",
            "%(count)d enrolments ended. The candidates' answers are kept.",
            count,
        )
        % {"count": count},
        messages.SUCCESS,
    )


@admin.action(description=gettext_lazy("Enrol on units…"), permissions=["enrol"])
def enrol_people(modeladmin, request, queryset):
    return _choose_units(modeladmin, request, queryset, enrolling_people=True)


@admin.action(
    description=gettext_lazy("Unenrol from units… (answers are kept)"), permissions=["unenrol"]
)
def unenrol_people(modeladmin, request, queryset):
    return _choose_units(modeladmin, request, queryset, enrolling_people=False)


class PersonEnrolmentActions:
    """Mixed into PersonAdmin: the people list's enrolment actions, for those who
    may add (enrol) or delete (unenrol) enrolments."""

    actions = [enrol_people, unenrol_people]

    def has_enrol_permission(self, request):
        return request.user.has_perm("units.add_enrolment")

    def has_unenrol_permission(self, request):
        return request.user.has_perm("units.delete_enrolment")


# --- The enrolment list -------------------------------------------------------------


class EnrolmentForm(forms.ModelForm):
    by = None  # the signed-in user, set by EnrolmentAdmin.get_form

    class Meta:
        model = Enrolment
        fields = ["candidate", "unit"]

    def clean_candidate(self):
        candidate = self.cleaned_data["candidate"]
        people = enrolling.with_candidacy(get_user_model().objects.filter(pk=candidate.pk))
        for reason, _people in enrolling.sort_people(people, by=self.by).skipped:
            raise ValidationError(enrolling.cannot_enrol_sentence(reason, candidate))
        return candidate


class CsvUploadForm(forms.Form):
    # An empty file is read like any other, and refused with a sentence naming it.
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        allow_empty_file=True,
        help_text=gettext_lazy(
            "UTF-8, with a header row: username,unit (or username,qualification)."
        ),
    )


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    form = EnrolmentForm
    list_display = ["candidate", "candidate_name", "unit", "enrolled_at", "enrolled_by"]
    list_filter = ["unit"]
    list_select_related = ["candidate", "unit", "enrolled_by"]
    search_fields = [
        "candidate__username",
        "candidate__first_name",
        "candidate__last_name",
        "unit__code",
    ]
    autocomplete_fields = ["candidate", "unit"]
    delete_confirmation_template = "admin/units/enrolment/delete_confirmation.html"
    delete_selected_confirmation_template = (
        "admin/units/enrolment/delete_selected_confirmation.html"
    )

    @admin.display(description=pgettext_lazy("person", "name"), ordering="candidate__last_name")
    def candidate_name(self, enrolment):
        return enrolment.candidate.get_full_name()

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # An enrolment is made or ended, never moved to another person or unit.
        return ["candidate", "unit", "enrolled_at", "enrolled_by"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"by": request.user})

    def save_model(self, request, obj, form, change):
        if not change:
            obj.enrolled_by = request.user
        super().save_model(request, obj, form, change)

    # Ending enrolments from this list follows the people list's rule: not for those
    # only a superuser may manage (Django's delete pages then refuse the whole deletion).
    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (
            obj is None or not enrolling.unmanageable(request.user, [obj.candidate])
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            # CSRF is checked in the view, once the request is known to be small enough
            # to read (the check reads the body).
            path("import/", wrap(csrf_exempt(self.import_upload)), name="units_enrolment_import"),
            path(
                "import/<int:pk>/", wrap(self.import_preview), name="units_enrolment_import_preview"
            ),
            path(
                "import/<int:pk>/confirm/",
                wrap(require_POST(self.import_confirm)),
                name="units_enrolment_import_confirm",
            ),
            path(
                "import/<int:pk>/discard/",
                wrap(require_POST(self.import_discard)),
                name="units_enrolment_import_discard",
            ),
            *super().get_urls(),
        ]

    # --- The CSV: upload, preview, confirm or discard -------------------------------

    def _refuse_unless_may_enrol(self, request):
        require(request, ["units.add_enrolment"])

    def import_upload(self, request):
        self._refuse_unless_may_enrol(request)
        if size := uploads.refuse_unread(request, enrolling.MAX_CSV_BYTES):
            return self._upload_page(request, CsvUploadForm(), size)
        return csrf_protect(self._checked_upload)(request)

    def _checked_upload(self, request):
        posted = request.method == "POST"
        form = CsvUploadForm(request.POST, request.FILES) if posted else CsvUploadForm()
        if received := uploads.stopped(request):  # known once the body has been read
            return self._upload_page(request, CsvUploadForm(), received)
        problems = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            plan, staged = enrolling.stage_csv(upload.name, upload, by=request.user)
            if staged is not None:
                return redirect(staged.preview_url())
            problems = plan.problems
        return self._upload_page(request, form, problems=problems)

    def _upload_page(self, request, form, too_large=0, problems=()):
        if too_large:
            problems = [uploads.too_large_message(too_large, enrolling.MAX_CSV_BYTES)]
        context = page_context(
            self,
            request,
            title=_("Upload a CSV of enrolments"),
            form=form,
            problems=problems,
            max_rows=number_format(enrolling.MAX_CSV_ROWS, force_grouping=True),
        )
        status = 413 if too_large else 200
        return TemplateResponse(
            request, "admin/units/enrolment/import.html", context, status=status
        )

    def _staged(self, pk):
        return get_object_or_404(
            ContentImport.objects.select_related("created_by"),
            pk=pk,
            kind=ContentImport.Kind.ENROLMENTS,
        )

    def import_preview(self, request, pk):
        self._refuse_unless_may_enrol(request)
        staged = self._staged(pk)
        plans = []
        if staged.state == ContentImport.State.STAGED:
            plans = [
                enrolling.read_csv(f["name"], f["text"].encode(), by=request.user)
                for f in staged.files
            ]
        context = page_context(
            self,
            request,
            title=_("Preview of a CSV of enrolments"),
            staged=staged,
            is_staged=staged.state == ContentImport.State.STAGED,
            plans=plans,
            problems=[problem for plan in plans for problem in plan.problems],
            created=sum(len(plan.create) for plan in plans),
            existing=sum(len(plan.existing) for plan in plans),
            summary=staged.summary.get("units.enrolment", {}),
        )
        return TemplateResponse(request, "admin/units/enrolment/import_preview.html", context)

    def import_confirm(self, request, pk):
        self._refuse_unless_may_enrol(request)
        staged = self._staged(pk)
        try:
            applied = enrolling.apply_csv(staged, by=request.user)
        except enrolling.AlreadyDone as refusal:
            self.message_user(request, str(refusal), messages.WARNING)
            return redirect(staged.preview_url())
        except Invalid as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return redirect(staged.preview_url())
        counts = applied.summary["units.enrolment"]
        _report_enrolled(self, request, enrolling.Enrolled(counts["created"], counts["unchanged"]))
        return redirect("admin:units_enrolment_changelist")

    def import_discard(self, request, pk):
        self._refuse_unless_may_enrol(request)
        staged = self._staged(pk)
        try:
            enrolling.discard_csv(staged)
        except enrolling.AlreadyDone as refusal:
            self.message_user(request, str(refusal), messages.WARNING)
            return redirect(staged.preview_url())
        self.message_user(request, _("The CSV was discarded; nothing was loaded."), messages.INFO)
        return redirect(reverse("admin:units_enrolment_changelist"))


# --- Qualifications -----------------------------------------------------------------


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "unit_count"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["units"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(unit_count=Count("units"))

    @admin.display(description=gettext_lazy("units"), ordering="unit_count")
    def unit_count(self, qualification):
        return qualification.unit_count
