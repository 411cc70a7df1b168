from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "NVQ Answer Bank administration"
admin.site.site_title = "NVQ Answer Bank"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("units.urls")),
]
