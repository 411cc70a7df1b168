from django.urls import path, register_converter

from .converters import CriterionCodeConverter
from .views import catalogue

register_converter(CriterionCodeConverter, "criterion")

app_name = "units"

urlpatterns = [
    path("", catalogue.home, name="home"),
    path("units/<slug:unit>/", catalogue.unit_detail, name="unit"),
    path(
        "units/<slug:unit>/criteria/<criterion:code>/", catalogue.criterion_detail, name="criterion"
    ),
    path("readings/<slug:slug>/", catalogue.reading_detail, name="reading"),
]
