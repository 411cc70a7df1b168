"""What the admin's own pages (importing fixtures, turning study guides into drafts,
uploading enrolments) share: their template context and their permission check."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from .models import Unit


def page_context(model_admin, request, **extra) -> dict:
    """The admin's context for a page of `model_admin`, with the unit list's options
    for the breadcrumbs of pages reached from it."""
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "unit_opts": Unit._meta,
        **extra,
    }


def require(request, permissions) -> None:
    """403 unless the signed-in person has every one of `permissions`."""
    if not request.user.has_perms(permissions):
        raise PermissionDenied


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence for a qualification: visible to admins, changed only through the app."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
