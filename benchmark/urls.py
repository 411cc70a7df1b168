from django.urls import path

from . import views

app_name = "benchmark"

urlpatterns = [path("fortunes/", views.fortunes, name="fortunes")]
