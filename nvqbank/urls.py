from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views

admin.site.site_header = _("NVQ Answer Bank administration")
admin.site.site_title = _("NVQ Answer Bank")

# The app's own error pages, drawn even for a request Django could not read.
handler400 = "nvqbank.views.bad_request"
handler403 = "nvqbank.views.permission_denied"
handler404 = "nvqbank.views.page_not_found"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/signed-in/", login_required(views.signed_in_again), name="signed_in_again"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("units.urls")),
]

if settings.BENCHMARK:
    urlpatterns.append(path("bench/", include("benchmark.urls")))
