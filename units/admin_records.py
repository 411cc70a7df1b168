"""Quality records and people's data in the admin.

- External verifiers' access (PortfolioGrant): who reads whose portfolio, until when;
  "End now" ends a grant without losing that it was given.
- Read-only logs: record accesses (who read or exported whose records), exports,
  unit sign-offs with their events, internal verifications.
- Data protection on the people list (PersonDataProtection, mixed into PersonAdmin):
  "Deactivate now", "Anonymise those past the retention period", a person's page
  showing where their retention stands, and a delete page that says what to do
  instead when their records cannot be deleted.

This module imports nothing from units.admin at load time: units.admin imports it.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from . import retention
from .admin_common import ReadOnlyAdmin
from .errors import DomainError
from .models import (
    Enrolment,
    PortfolioExport,
    PortfolioGrant,
    Profile,
    RecordAccess,
    SignOffEvent,
    UnitSignOff,
    Verification,
)
from .roles import EXTERNAL_VERIFIER

# --- External verifiers' access -------------------------------------------------------


class GrantForm(forms.ModelForm):
    class Meta:
        model = PortfolioGrant
        fields = ["verifier", "candidate", "unit", "starts_at", "expires_at", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = get_user_model().objects.filter(is_active=True).order_by("username")
        if "verifier" in self.fields:  # read-only once the grant is given
            self.fields["verifier"].queryset = people.filter(groups__name=EXTERNAL_VERIFIER)
            self.fields["verifier"].help_text = _("People in the External verifier group.")
        if "candidate" in self.fields:
            self.fields["candidate"].queryset = people.filter(
                pk__in=Enrolment.objects.values("candidate_id")
            )
            self.fields["candidate"].help_text = _("People enrolled on at least one unit.")

    def clean(self):
        data = super().clean()
        # A grant being changed keeps its start (read-only then).
        starts = data.get("starts_at", self.instance.starts_at if self.instance.pk else None)
        expires = data.get("expires_at")
        if starts and expires and expires <= starts:
            raise ValidationError(_("The access must end after it starts."))
        candidate, unit = data.get("candidate"), data.get("unit")
        if candidate and unit and not Enrolment.objects.filter(candidate=candidate, unit=unit):
            raise ValidationError(_("The candidate is not enrolled on this unit."))
        return data


class ActiveGrantFilter(admin.SimpleListFilter):
    title = gettext_lazy("in force")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("In force")), ("no", gettext_lazy("Ended or not started"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.active()
        if self.value() == "no":
            return queryset.exclude(pk__in=PortfolioGrant.objects.active().values("pk"))
        return queryset


@admin.action(description=gettext_lazy("End the selected access now"), permissions=["change"])
def end_grants(modeladmin, request, queryset):
    now = timezone.now()
    grants = list(queryset.filter(expires_at__gt=now))
    for grant in grants:
        # One that has not started yet never gave access: it ends before it starts.
        grant.starts_at = min(grant.starts_at, now - timedelta(seconds=1))
        grant.expires_at = now
        grant.save(update_fields=["starts_at", "expires_at"])
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d access ended: its external verifier no longer sees that portfolio.",
            "%(count)d accesses ended: their external verifiers no longer see those portfolios.",
            len(grants),
        )
        % {"count": len(grants)},
        messages.SUCCESS,
    )


@admin.register(PortfolioGrant)
class PortfolioGrantAdmin(admin.ModelAdmin):
    form = GrantForm
    list_display = ["verifier", "candidate", "unit", "starts_at", "expires_at", "in_force", "note"]
    list_filter = [ActiveGrantFilter]
    list_select_related = ["verifier", "candidate", "unit"]
    search_fields = ["verifier__username", "candidate__username", "candidate__last_name", "note"]
    actions = [end_grants]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["granted_by", "created_at"]
        # Given is given: who, whose and from when stay as granted; the end can move.
        return ["verifier", "candidate", "unit", "starts_at", "granted_by", "created_at"]

    @admin.display(boolean=True, description=gettext_lazy("in force"))
    def in_force(self, grant):
        return grant.is_active()

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # end it instead: that it was given stays on record


# --- Read-only records ----------------------------------------------------------------


@admin.register(RecordAccess)
class RecordAccessAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "reader", "person", "unit", "what", "ip_address"]
    list_filter = ["kind"]
    list_select_related = ["reader", "person", "unit"]
    search_fields = ["reader__username", "person__username", "what"]
    date_hierarchy = "created_at"


@admin.register(PortfolioExport)
class PortfolioExportAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at", "requested_by", "person", "unit", "kind", "file_format", "status",
        "size", "finished_at", "downloaded_at", "expires_at",
    ]  # fmt: skip
    list_filter = ["status", "kind", "file_format"]
    list_select_related = ["requested_by", "person", "unit"]
    search_fields = ["requested_by__username", "person__username", "file_name"]
    exclude = ["content"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")


class SignOffEventInline(admin.TabularInline):
    model = SignOffEvent
    fields = ["created_at", "kind", "actor", "answer", "note", "ip_address"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(UnitSignOff)
class UnitSignOffAdmin(ReadOnlyAdmin):
    list_display = [
        "candidate", "unit", "assessor", "signed_at", "confirmed_at",
        "countersigned_by", "countersigned_at", "withdrawn_at",
    ]  # fmt: skip
    list_select_related = ["candidate", "unit", "assessor", "countersigned_by"]
    search_fields = ["candidate__username", "unit__code", "assessor__username"]
    inlines = [SignOffEventInline]


@admin.register(Verification)
class VerificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "verifier", "verdict", "decision", "reopened", "acknowledged_at"]
    list_filter = ["verdict", "reopened"]
    list_select_related = [
        "verifier",
        "decision__assessor",
        "decision__revision__answer__candidate",
        "decision__answer__candidate",
        "decision__answer__learning_outcome__unit",
    ]
    search_fields = ["verifier__username", "decision__assessor__username", "reason", "feedback"]


# --- Data protection on the people list -----------------------------------------------


def _date(moment) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT") if moment else ""


def data_protection_status(person) -> str:
    """Where a person stands: active, deactivated (and when the period ends), or
    anonymised; one sentence for the admin."""
    profile = Profile.objects.filter(user=person).first()
    if profile is not None and profile.anonymised_at:
        return _("Anonymised on %(date)s.") % {"date": _date(profile.anonymised_at)}
    if person.is_active:
        days = retention.retention_period().days
        return ngettext(
            "Active. Deactivating starts the retention period of %(days)s day.",
            "Active. Deactivating starts the retention period of %(days)s days.",
            days,
        ) % {"days": days}
    ends = retention.retention_ends(profile)
    if ends is None:
        return _("Deactivated; when is not recorded.")
    return _(
        "Deactivated on %(date)s. Their records are kept until %(end)s, then anonymised "
        "(manage.py apply_retention)."
    ) % {"date": _date(profile.deactivated_at), "end": _date(ends)}


@admin.action(
    description=gettext_lazy("Deactivate now (signed out at their next request)"),
    permissions=["change"],
)
def deactivate_people(modeladmin, request, queryset):
    people = [person for person in queryset if modeladmin.has_change_permission(request, person)]
    done = sum(retention.person_deactivate(person=person, by=request.user) for person in people)
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d person deactivated: their retention period starts today.",
            "%(count)d people deactivated: their retention period starts today.",
            done,
        )
        % {"count": done},
        messages.SUCCESS,
    )


@admin.action(
    description=gettext_lazy("Anonymise those past the retention period"), permissions=["change"]
)
def anonymise_people(modeladmin, request, queryset):
    due = retention.past_retention().filter(pk__in=queryset.values("pk"))
    people = [person for person in due if modeladmin.has_change_permission(request, person)]
    for person in people:
        retention.person_anonymise(person=person)
    skipped = queryset.count() - len(people)
    modeladmin.message_user(
        request,
        ngettext("%(count)d person anonymised.", "%(count)d people anonymised.", len(people))
        % {"count": len(people)},
        messages.SUCCESS,
    )
    if skipped:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d person was left as they are: active, or still within the "
                "retention period.",
                "%(count)d people were left as they are: active, or still within the "
                "retention period.",
                skipped,
            )
            % {"count": skipped},
            messages.WARNING,
        )


class PersonDataProtection:
    """Mixed into PersonAdmin: the actions, a person's status, and a delete page that
    offers deactivation when their records cannot be deleted."""

    def get_urls(self):
        return [
            path(
                "<int:pk>/deactivate/",
                self.admin_site.admin_view(require_POST(self.deactivate_view)),
                name="auth_user_deactivate",
            ),
            *super().get_urls(),
        ]

    def deactivate_view(self, request, pk):
        return _deactivate(self, request, pk)

    def save_model(self, request, obj, form, change):
        """Unticking "active" on a person's page is deactivating them: the retention
        clock starts; ticking it again stops it."""
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            if obj.is_active:
                retention.person_reactivate(person=obj)
            else:
                retention.person_deactivate(person=obj, by=request.user)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        anonymised = (
            obj is not None
            and Profile.objects.filter(user=obj, anonymised_at__isnull=False).exists()
        )
        return fields + ["is_active"] if anonymised else fields

    def render_delete_form(self, request, context):
        # Records the admin may not delete (append-only or read-only) or that protect
        # the person: the page says what to do instead.
        if context.get("protected") or context.get("perms_lacking"):
            person = context["object"]
            context["data_protection_status"] = data_protection_status(person)
            context["deactivate_url"] = reverse("admin:auth_user_deactivate", args=[person.pk])
        return super().render_delete_form(request, context)


def _deactivate(model_admin, request, pk):
    person = get_object_or_404(get_user_model(), pk=pk)
    if not model_admin.has_change_permission(request, person):
        raise PermissionDenied
    try:
        retention.person_deactivate(person=person, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(name)s is deactivated. %(status)s")
            % {"name": person.get_username(), "status": data_protection_status(person)},
        )
    return redirect("admin:auth_user_change", pk)
