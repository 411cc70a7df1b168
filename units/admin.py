from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from post_office.admin import EmailAdmin, LogInline
from post_office.admin import requeue as post_office_requeue
from post_office.models import STATUS, Attachment, Email, EmailTemplate, Log

from . import admin_documents, admin_enrolments, admin_imports, admin_records
from .admin_common import ReadOnlyAdmin
from .models import (
    Answer,
    Assignment,
    AuditEntry,
    Comment,
    Decision,
    LearningOutcome,
    ModelAnswer,
    Profile,
    Reading,
    Revision,
    SecurityEvent,
    Unit,
    UnitIntroduction,
)
from .roles import (
    ASSESSOR,
    CANDIDATE,
    EXTERNAL_VERIFIER,
    INTERNAL_VERIFIER,
    ROLE_PERMISSIONS,
    role_label,
)
from .text import clean_text


class LearningOutcomeInline(admin.TabularInline):
    model = LearningOutcome
    fields = ["code", "outcome", "question"]
    extra = 0
    show_change_link = True


class UnitIntroductionInline(admin.StackedInline):
    model = UnitIntroduction
    fields = ["language", "body", "attribution"]
    extra = 0


class PublishedFilter(admin.SimpleListFilter):
    title = gettext_lazy("publication")
    parameter_name = "published"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Published")), ("no", pgettext_lazy("unit state", "Draft"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.published()
        if self.value() == "no":
            return queryset.filter(published_at=None)
        return queryset


@admin.action(description=gettext_lazy("Publish the selected units"), permissions=["change"])
def publish_units(modeladmin, request, queryset):
    published = 0
    for unit in queryset:
        problems = unit.publish()
        for problem in problems:
            # Translators: %(unit)s is a unit code; %(problem)s a sentence saying what is missing.
            modeladmin.message_user(
                request,
                _("%(unit)s was not published: %(problem)s")
                % {"unit": unit.code, "problem": problem},
                messages.ERROR,
            )
        published += not problems
    if published:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d unit is published: its enrolled candidates see it now.",
                "%(count)d units are published: their enrolled candidates see them now.",
                published,
            )
            % {"count": published},
            messages.SUCCESS,
        )


@admin.action(
    description=gettext_lazy("Unpublish the selected units (answers are kept)"),
    permissions=["change"],
)
def unpublish_units(modeladmin, request, queryset):
    units = list(queryset)
    for unit in units:
        unit.unpublish()
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d unit is a draft again: candidates no longer see it; their answers are kept.",
            "%(count)d units are drafts again: candidates no longer see them; "
            "their answers are kept.",
            len(units),
        )
        % {"count": len(units)},
        messages.SUCCESS,
    )


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "is_published", "level", "group", "ofqual_ref"]
    list_filter = [PublishedFilter, "level", "group"]
    readonly_fields = ["published_at"]
    actions = [publish_units, unpublish_units]
    search_fields = ["code", "title", "ofqual_ref"]
    prepopulated_fields = {"slug": ["code"]}
    inlines = [LearningOutcomeInline, UnitIntroductionInline]

    @admin.display(boolean=True, description=gettext_lazy("published"), ordering="published_at")
    def is_published(self, unit):
        return unit.is_published

    def get_urls(self):
        # Importing fixtures and turning a document into a unit start from the unit list.
        return admin_imports.unit_urls(self) + admin_documents.unit_urls(self) + super().get_urls()


class ModelAnswerInline(admin.StackedInline):
    model = ModelAnswer
    fields = ["language", "question", "body", "attribution"]
    extra = 0


@admin.register(LearningOutcome)
class LearningOutcomeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "question", "outcome"]
    list_filter = ["unit", "outcome"]
    list_select_related = ["unit"]
    search_fields = ["code", "question", "outcome", "unit__code"]
    ordering = ["unit__code", "major", "minor"]
    inlines = [ModelAnswerInline]


@admin.register(ModelAnswer)
class ModelAnswerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "language", "question"]
    list_filter = ["language", "learning_outcome__unit"]
    list_select_related = ["learning_outcome__unit"]
    search_fields = ["body", "question", "learning_outcome__code", "learning_outcome__question"]
    autocomplete_fields = ["learning_outcome"]


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = ["title", "title_en", "language"]
    list_filter = ["language", "units"]
    search_fields = ["title", "title_en", "body"]
    filter_horizontal = ["units"]
    prepopulated_fields = {"slug": ["title_en"]}


@admin.register(UnitIntroduction)
class UnitIntroductionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "language"]
    list_filter = ["language", "unit"]
    list_select_related = ["unit"]
    search_fields = ["body"]


class AuditEntryInline(admin.TabularInline):
    model = AuditEntry
    fields = ["created_at", "actor", "action", "from_status", "to_status", "revision", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RevisionInline(admin.TabularInline):
    model = Revision
    fields = ["number", "created_at", "word_count", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "version", "updated_at", "submitted_at"]
    list_filter = ["status", "learning_outcome__unit"]
    list_select_related = ["candidate", "learning_outcome__unit"]
    search_fields = ["candidate__username", "candidate__last_name", "learning_outcome__code"]
    inlines = [RevisionInline, AuditEntryInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "answer", "from_status", "to_status"]
    list_filter = ["action", "to_status"]
    list_select_related = ["actor", "answer__candidate", "answer__learning_outcome__unit"]
    search_fields = ["actor__username", "answer__candidate__username", "note"]
    date_hierarchy = "created_at"


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "assessor", "outcome", "answer", "revision"]
    list_filter = ["outcome"]
    list_select_related = [
        "assessor",
        "answer__candidate",
        "answer__learning_outcome__unit",
        "revision",
    ]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "author", "answer", "quote"]
    list_select_related = ["author", "answer__candidate", "answer__learning_outcome__unit"]
    search_fields = ["body", "quote", "author__username"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["candidate", "assessor", "created_at"]
    list_select_related = ["candidate", "assessor"]
    search_fields = ["candidate__username", "assessor__username"]
    autocomplete_fields = ["candidate", "assessor"]


class CandidateAssignmentInline(admin.TabularInline):
    model = Assignment
    fk_name = "candidate"
    fields = ["assessor"]
    autocomplete_fields = ["assessor"]
    extra = 0
    verbose_name = gettext_lazy("assessor of this candidate")
    verbose_name_plural = gettext_lazy("assessors of this candidate")


admin.site.unregister(User)


# Handing out the workflow roles (candidate, assessor, internal and external
# verifier) is what the Admin group is for, although its members hold none of them.
WORKFLOW_ROLE_PERMISSIONS = frozenset(
    f"{app}.{codename}"
    for role in (CANDIDATE, ASSESSOR, INTERNAL_VERIFIER, EXTERNAL_VERIFIER)
    for app, codename in ROLE_PERMISSIONS[role]
)


def grantable_permissions(user) -> frozenset[str]:
    """What a non-superuser may give others: what they hold, and the workflow roles."""
    return frozenset(user.get_all_permissions()) | WORKFLOW_ROLE_PERMISSIONS


def _names(permissions) -> set[str]:
    return {f"{app}.{codename}" for app, codename in permissions}


def held_permissions(person) -> set[str]:
    """Every permission a person holds directly or through a group, active or not."""
    return _names(
        Permission.objects.filter(Q(user=person) | Q(group__user=person)).values_list(
            "content_type__app_label", "codename"
        )
    )


def may_manage(user, person) -> bool:
    """Only a superuser manages a superuser, or someone who holds more than the
    manager could grant (including a deactivated account waiting to be reactivated)."""
    if user.is_superuser:
        return True
    return not person.is_superuser and held_permissions(person) <= grantable_permissions(user)


class PersonChangeForm(UserChangeForm):
    """Names without bidirectional controls; grants checked against who grants them."""

    granted_by = None  # the signed-in user, set by PersonAdmin.get_form

    def clean_first_name(self):
        return clean_text(self.cleaned_data["first_name"]).strip()

    def clean_last_name(self):
        return clean_text(self.cleaned_data["last_name"]).strip()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups = self.fields.get("groups")
        if groups is not None:
            # The role groups by the names people read them by, in their language.
            groups.label_from_instance = lambda group: role_label(group.name)

    def _refuse_beyond_grantor(self, field, held_by, message):
        chosen = self.cleaned_data[field]
        if self.granted_by is None or self.granted_by.is_superuser:
            return chosen
        before = set(getattr(self.instance, field).all()) if self.instance.pk else set()
        allowed = grantable_permissions(self.granted_by)
        beyond = [item for item in chosen if item not in before and not held_by(item) <= allowed]
        if beyond:
            raise ValidationError(message, params={"names": ", ".join(sorted(map(str, beyond)))})
        return chosen

    def clean_groups(self):
        return self._refuse_beyond_grantor(
            "groups",
            lambda group: _names(
                group.permissions.values_list("content_type__app_label", "codename")
            ),
            _(
                "Only a superuser can give groups with permissions that you do not hold "
                "yourself: %(names)s."
            ),
        )

    def clean_user_permissions(self):
        return self._refuse_beyond_grantor(
            "user_permissions",
            lambda permission: _names([(permission.content_type.app_label, permission.codename)]),
            _("Only a superuser can give permissions that you do not hold yourself: %(names)s."),
        )


class ProfileInline(admin.StackedInline):
    model = Profile
    fields = ["interface_language", "answer_language", "data_protection"]
    readonly_fields = ["data_protection"]
    can_delete = False

    @admin.display(description=gettext_lazy("data protection"))
    def data_protection(self, profile):
        return admin_records.data_protection_status(profile.user) if profile.pk else "—"

    # Translators: the heading above a person's language choices in the admin.
    verbose_name_plural = gettext_lazy("choices")


@admin.register(User)
class PersonAdmin(
    admin_records.PersonDataProtection, admin_enrolments.PersonEnrolmentActions, UserAdmin
):
    """People, for the Admin group as well as superusers.

    A staff member who is not a superuser can give only what they hold themselves
    (a permission, or a group whose every permission they hold), plus the Candidate
    and Assessor roles; cannot make anyone staff or superuser; and cannot open
    (or change the password of) a superuser, or anyone holding more than they
    could grant. The fields they may not change are read-only, so a crafted POST
    of them is ignored; grants beyond their own are refused with a message.
    """

    form = PersonChangeForm
    inlines = [ProfileInline, CandidateAssignmentInline]
    actions = [
        *admin_enrolments.PersonEnrolmentActions.actions,
        admin_records.deactivate_people,
        admin_records.anonymise_people,
    ]
    list_filter = UserAdmin.list_filter  # staff, superuser, active, groups

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_superuser:
            fields += ["is_staff", "is_superuser"]
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if issubclass(form, PersonChangeForm):
            form = type(form.__name__, (form,), {"granted_by": request.user})
        return form

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj))


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "username", "ip_address", "user_agent"]
    list_filter = ["kind"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "created_at"


# --- The notification outbox (django-post-office) ---------------------------------
# Our emails are plain text written by units/notifications.py: no templates, no
# attachments, so only the queue and its delivery log are shown.
admin.site.unregister(Email)
admin.site.unregister(EmailTemplate)
admin.site.unregister(Attachment)


@admin.action(description=gettext_lazy("Queue the selected emails again"), permissions=["change"])
def requeue(modeladmin, request, queryset):
    post_office_requeue(modeladmin, request, queryset)


@admin.register(Email)
class NotificationAdmin(EmailAdmin):
    """Each notification: to whom, its status, how many attempts and the last error."""

    list_display = [
        "id",
        "to_display",
        "shortened_subject",
        "status",
        "attempts",
        "last_error",
        "created",
        "scheduled_time",
    ]
    list_filter = ["status"]
    date_hierarchy = "created"
    inlines = [LogInline]
    actions = [requeue]

    def get_queryset(self, request):
        failures = Log.objects.filter(email=OuterRef("pk"), status=STATUS.failed)
        return (
            super()
            .get_queryset(request)
            .annotate(
                attempt_count=Count("logs"),
                error=Subquery(failures.order_by("-date", "-pk").values("message")[:1]),
            )
        )

    @admin.display(description=gettext_lazy("attempts"), ordering="attempt_count")
    def attempts(self, email):
        return email.attempt_count

    @admin.display(description=gettext_lazy("last error"))
    def last_error(self, email):
        return email.error or "—"
