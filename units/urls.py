from django.urls import path, register_converter

from .converters import CriterionCodeConverter
from .views import (
    catalogue,
    drafting,
    exports,
    languages,
    portfolio,
    progress,
    quality,
    review,
    search,
)

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
    path("progress/units/<slug:unit>/confirm/", portfolio.confirm_unit, name="confirm_unit"),
    # Internal verification: the sample, the plan, a sampled decision and its verdict.
    path("quality/", quality.sample, name="sample"),
    path("quality/plan/", quality.plan, name="sampling_plan"),
    path("quality/decisions/<int:pk>/", quality.decision, name="sample_decision"),
    path("quality/decisions/<int:pk>/verdict/", quality.verdict, name="verdict"),
    path("quality/feedback/<int:pk>/read/", quality.acknowledge, name="acknowledge"),
    # Portfolios, read-only; unit sign-off; exports.
    path("portfolios/", portfolio.portfolios, name="portfolios"),
    path("portfolios/<int:pk>/", portfolio.portfolio, name="portfolio"),
    path("portfolios/<int:pk>/export/", exports.export_portfolio, name="export_portfolio"),
    path("portfolios/<int:pk>/units/<slug:unit>/", portfolio.portfolio_unit, name="portfolio_unit"),
    path("portfolios/<int:pk>/units/<slug:unit>/sign-off/", portfolio.sign_off, name="sign_off"),
    path(
        "portfolios/<int:pk>/units/<slug:unit>/countersign/",
        portfolio.countersign,
        name="countersign",
    ),
    path("exports/", exports.export_list, name="exports"),
    path("exports/<int:pk>/download/", exports.download, name="download_export"),
    path("account/data/", exports.personal_data, name="personal_data"),
    path("account/data/export/", exports.export_personal_data, name="export_personal_data"),
    path("readings/<slug:slug>/", catalogue.reading_detail, name="reading"),
    path("search/", search.search_page, name="search"),
    path("language/", languages.choose_interface_language, name="choose_language"),
    path("account/languages/", languages.language_settings, name="language_settings"),
    path("jsi18n/<str:code>.js", languages.javascript_catalogue, name="javascript_catalogue"),
]
