from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from . import views

admin.site.site_header = "NVQ Answer Bank administration"
admin.site.site_title = "NVQ Answer Bank"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/signed-in/", login_required(views.signed_in_again), name="signed_in_again"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("units.urls")),
]

if settings.BENCHMARK:
    urlpatterns.append(path("bench/", include("benchmark.urls")))
