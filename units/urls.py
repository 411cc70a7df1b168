from django.urls import path, register_converter

from .converters import CriterionCodeConverter
from .views import catalogue, drafting, languages, progress, review, search

register_converter(CriterionCodeConverter, "criterion")

app_name = "units"

CRITERION = "units/<slug:unit>/criteria/<criterion:code>/"

urlpatterns = [
    path("", catalogue.home, name="home"),
    path("units/<slug:unit>/", catalogue.unit_detail, name="unit"),
    path(CRITERION, catalogue.criterion_detail, name="criterion"),
    path(f"{CRITERION}model-answer/", catalogue.model_answer_fragment, name="model_answer"),
    path(f"{CRITERION}write/", drafting.write, name="write"),
    path(f"{CRITERION}write/save/", drafting.save, name="save"),
    path(f"{CRITERION}write/state/", drafting.answer_state, name="answer_state"),
    path(f"{CRITERION}write/submit/", drafting.submit, name="submit"),
    path("answers/<int:pk>/revisions/", drafting.revisions, name="revisions"),
    path("answers/<int:pk>/reply/", review.reply, name="reply"),
    path("answers/preview/", drafting.preview, name="preview"),
    path("review/", review.queue, name="queue"),
    path("review/<int:pk>/", review.review, name="review"),
    path("review/<int:pk>/comments/", review.comment, name="comment"),
    path("review/<int:pk>/decide/", review.decide, name="decide"),
    path("review/<int:pk>/reopen/", review.reopen, name="reopen"),
    path("progress/", progress.progress, name="progress"),
    path("readings/<slug:slug>/", catalogue.reading_detail, name="reading"),
    path("search/", search.search_page, name="search"),
    path("language/", languages.choose_interface_language, name="choose_language"),
    path("account/languages/", languages.language_settings, name="language_settings"),
    path("jsi18n/<str:code>.js", languages.javascript_catalogue, name="javascript_catalogue"),
]
