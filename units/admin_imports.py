"""Importing fixtures in the admin: upload, validate, preview, confirm; the import log.

Admin → Units → "Import units": the files are checked by units.importing (every
problem as a sentence, nothing kept), staged as a ContentImport, previewed
(created / changed with a diff / unchanged) and loaded only when confirmed. The
ContentImport changelist is the import log, read-only.

Who may do what:
- upload: units.add_contentimport, units.add_unit and units.change_unit;
- preview, confirm, discard: units.change_contentimport, units.add_unit and
  units.change_unit. A staged import is shared work: any admin with these may
  preview, confirm or discard another admin's staged import (the log says who
  uploaded it);
- the log: units.view_contentimport (or change).
Anyone not signed in as staff is sent to the admin's login page by admin_view;
staff without the permissions get 403.
"""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from . import importing, uploads
from .admin_common import page_context, require
from .models import ContentImport

UPLOAD_PERMISSIONS = ("units.add_contentimport", "units.add_unit", "units.change_unit")
CONFIRM_PERMISSIONS = ("units.change_contentimport", "units.add_unit", "units.change_unit")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = list(data) if isinstance(data, list | tuple) else [data]
        single = super().clean
        return [single(one, initial) for one in files or [None]]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=gettext_lazy("Fixture files"),
        allow_empty_file=True,  # an empty file is reported by the validator, in its words
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _(
            "One or more JSON fixture files of units, criteria, model answers, introductions "
            "and readings (UTF-8, at most %(limit)s each)."
        ) % {"limit": filesizeformat(importing.MAX_FILE_BYTES)}


def upload(request, model_admin):
    """The upload page: check every file; stage the import and preview it if there is
    no problem, or list every problem and keep nothing. An upload over the limit is
    refused by its size, unread (units.uploads)."""
    require(request, UPLOAD_PERMISSIONS)
    if size := uploads.refuse_unread(request, importing.MAX_UPLOAD_BYTES):
        return _upload_page(model_admin, request, UploadForm(), size, status=413)
    return csrf_protect(_checked_upload)(request, model_admin)


def _checked_upload(request, model_admin):
    problems = []
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if received := uploads.stopped(request):  # known once the body has been read
            return _upload_page(model_admin, request, UploadForm(), received, status=413)
        if form.is_valid():
            plan = importing.validate_files(*_read_uploads(form.cleaned_data["files"]))
            if plan.ok:
                staged = ContentImport.objects.stage(
                    request.user, ContentImport.Kind.CONTENT, plan.files_to_stage()
                )
                return redirect(staged.preview_url())
            problems = plan.problems
    else:
        form = UploadForm()
    return _upload_page(model_admin, request, form, problems=problems)


def _upload_page(model_admin, request, form, too_large=0, problems=(), status=200):
    if too_large:
        problems = [uploads.too_large_message(too_large, importing.MAX_UPLOAD_BYTES)]
    return TemplateResponse(
        request,
        "admin/units/import_upload.html",
        page_context(
            model_admin,
            request,
            title=_("Import units"),
            form=form,
            problems=importing.problems_shown(problems),
            problem_count=len(problems),
        ),
        status=status,
    )


def _read_uploads(files) -> tuple[list[tuple[str, bytes]], list[importing.Problem]]:
    """The uploaded files' bytes; a file over the limit (or taking the upload over its
    limit) is refused by its size, without reading it."""
    contents, problems = [], []
    total = 0
    for upload_file in files:
        total += upload_file.size
        problem = importing.too_large(upload_file.name, upload_file.size) or (
            importing.too_much(upload_file.name, total)
        )
        if problem:
            problems.append(problem)
        else:
            contents.append((upload_file.name, upload_file.read()))
    return contents, problems


def unit_urls(model_admin) -> list:
    """URLs added to the unit admin (named admin:units_unit_…)."""
    return [
        path(
            "import/",
            # CSRF is checked in the view, once the request is known to be small enough
            # to read (the check reads the body).
            model_admin.admin_site.admin_view(
                csrf_exempt(partial(upload, model_admin=model_admin))
            ),
            name="units_unit_import",
        )
    ]


def _content_import(pk: int) -> ContentImport:
    return get_object_or_404(ContentImport.objects.select_related("created_by"), pk=pk)


def _preview_response(request, model_admin, content_import, plan, status=200):
    return TemplateResponse(
        request,
        "admin/units/contentimport/preview.html",
        page_context(
            model_admin,
            request,
            title=_("Preview of the import"),
            content_import=content_import,
            plan=plan,
            rows=plan.summary_rows(),
            created=plan.by_action("created"),
            changed=plan.by_action("changed"),
            unchanged=plan.by_action("unchanged"),
            fingerprint=plan.fingerprint(),
            problems=importing.problems_shown(plan.problems),
            problem_count=len(plan.problems),
            log_url=reverse("admin:units_contentimport_change", args=[content_import.pk]),
        ),
        status=status,
    )


def preview(request, pk, model_admin):
    """What confirming would do, checked against the bank as it is now."""
    require(request, CONFIRM_PERMISSIONS)
    content_import = _content_import(pk)
    if content_import.kind != ContentImport.Kind.CONTENT:
        return redirect(content_import.preview_url())
    if content_import.state != ContentImport.State.STAGED:
        messages.info(request, importing.already_message(content_import))
        return redirect("admin:units_contentimport_change", content_import.pk)
    plan = importing.plan_import([(f["name"], f["text"]) for f in content_import.files])
    return _preview_response(request, model_admin, content_import, plan)


@require_POST
def confirm(request, pk, model_admin):
    require(request, CONFIRM_PERMISSIONS)
    content_import = _content_import(pk)
    if content_import.kind != ContentImport.Kind.CONTENT:
        raise PermissionDenied
    try:
        plan = importing.content_import_apply(
            content_import=content_import, fingerprint=request.POST.get("fingerprint", "")
        )
    except importing.PlanChanged as changed:
        messages.warning(request, str(changed))
        return _preview_response(request, model_admin, content_import, changed.plan, status=409)
    except importing.ImportRefused as refused:
        messages.error(request, str(refused))
        if refused.problems:
            return redirect(content_import.preview_url())
        return redirect("admin:units_contentimport_change", content_import.pk)
    messages.success(
        request,
        _("Loaded. %(counts)s. New units are drafts: publish them when they are ready.")
        % {"counts": "; ".join(importing.count_sentence(row) for row in plan.summary_rows())},
    )
    return redirect("admin:units_unit_changelist")


@require_POST
def discard(request, pk, model_admin):
    require(request, CONFIRM_PERMISSIONS)
    content_import = _content_import(pk)
    try:
        importing.content_import_discard(content_import=content_import)
    except importing.ImportRefused as refused:
        messages.error(request, str(refused))
        return redirect("admin:units_contentimport_change", content_import.pk)
    messages.success(request, _("The import was discarded; nothing was loaded."))
    return redirect("admin:units_unit_changelist")


class ImportLogList(ChangeList):
    """The log's rows without the files' text (megabytes each): the names, hashes and
    sizes are in file_list."""

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer("files")


@admin.register(ContentImport)
class ContentImportAdmin(admin.ModelAdmin):
    """The import log: who uploaded what, when, and what loading it did. Read-only:
    imports are made by uploading, and kept."""

    list_display = ["created_at", "kind", "state", "created_by", "file_names_display", "counts"]
    list_filter = ["state", "kind"]
    list_select_related = ["created_by"]
    search_fields = ["origin", "created_by__username"]
    date_hierarchy = "created_at"
    fields = [
        "kind",
        "state",
        "created_by",
        "created_at",
        "applied_at",
        "origin",
        "file_table",
        "counts",
        "preview_link",
    ]
    readonly_fields = fields

    def get_changelist(self, request, **kwargs):
        return ImportLogList

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # confirmed or discarded on the preview page, never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(partial(function, model_admin=self))

        return [
            path("<int:pk>/preview/", view(preview), name="units_contentimport_preview"),
            path("<int:pk>/confirm/", view(confirm), name="units_contentimport_confirm"),
            path("<int:pk>/discard/", view(discard), name="units_contentimport_discard"),
        ] + super().get_urls()

    @admin.display(description=gettext_lazy("files"))
    def file_names_display(self, obj):
        return ", ".join(obj.file_names)

    @admin.display(description=gettext_lazy("files"))
    def file_table(self, obj):
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody>"
            "</table>",
            pgettext("file", "name"),
            _("size"),
            "SHA-256",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                ((f["name"], filesizeformat(f["size"]), f["sha256"]) for f in obj.file_list),
            ),
        )

    @admin.display(description=gettext_lazy("what it did"))
    def counts(self, obj):
        if not obj.summary:
            return "—"
        return "; ".join(
            importing.count_sentence({"name": importing.model_name(label), **row})
            for label, row in obj.summary.items()
        )

    @admin.display(description=gettext_lazy("preview"))
    def preview_link(self, obj):
        if obj.state != ContentImport.State.STAGED:
            return "—"
        return format_html('<a href="{}">{}</a>', obj.preview_url(), _("Preview and confirm"))
