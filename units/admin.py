from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from .models import (
    Answer,
    Assignment,
    AuditEntry,
    Comment,
    Decision,
    LearningOutcome,
    ModelAnswer,
    Reading,
    Revision,
    SecurityEvent,
    Unit,
    UnitIntroduction,
)


class LearningOutcomeInline(admin.TabularInline):
    model = LearningOutcome
    fields = ["code", "outcome", "question"]
    extra = 0
    show_change_link = True


class UnitIntroductionInline(admin.StackedInline):
    model = UnitIntroduction
    fields = ["language", "body", "attribution"]
    extra = 0


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "level", "group", "ofqual_ref"]
    list_filter = ["level", "group"]
    search_fields = ["code", "title", "ofqual_ref"]
    prepopulated_fields = {"slug": ["code"]}
    inlines = [LearningOutcomeInline, UnitIntroductionInline]


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence for a qualification: visible to admins, changed only through the app."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
    verbose_name = "assessor of this candidate"
    verbose_name_plural = "assessors of this candidate"


admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    inlines = [CandidateAssignmentInline]
    list_filter = [*UserAdmin.list_filter, "groups"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "username", "ip_address", "user_agent"]
    list_filter = ["kind"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "created_at"
