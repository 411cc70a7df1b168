from django.urls import path

from . import views

app_name = "benchmark"

urlpatterns = [
    path("fortunes/", views.fortunes, name="fortunes"),
    path("fortunes/signed-in/", views.fortunes_signed_in, name="fortunes_signed_in"),
]
