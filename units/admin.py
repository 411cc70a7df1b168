from django.contrib import admin

from .models import LearningOutcome, ModelAnswer, Reading, Unit, UnitIntroduction


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
