"""Asking for exports, watching them being made, downloading them; a person's own data."""

import io

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .. import exports
from ..access import (
    get_own_export,
    get_portfolio_candidate,
    get_portfolio_unit,
    portfolio_reader_required,
    signed_in,
    wants_json,
)
from ..access_log import log_view
from ..errors import DomainError
from ..forms import ExportForm, validated
from ..models import PortfolioExport, RecordAccess
from ..security import client_ip
from .common import attempt, refusal, throttle

Status = PortfolioExport.Status
# The exports page lists this many, newest first.
LISTED = 50


def _listed(user):
    return list(
        PortfolioExport.objects.for_requester(user)
        .kept()
        .without_content()
        .select_related("person", "unit")[:LISTED]
    )


@signed_in
@require_safe
def export_list(request):
    items = _listed(request.user)
    if wants_json(request):
        # What the page's script polls while something is being made.
        return JsonResponse(
            {
                "exports": [
                    {"id": e.pk, "status": e.status, "status_label": str(e.status_choice.label)}
                    for e in items
                ]
            }
        )
    stuck_before = timezone.now() - exports.STUCK_AFTER
    for item in items:
        item.stuck = item.is_pending and item.created_at < stuck_before
    context = {
        "exports": items,
        "pending": any(e.is_pending for e in items),
        "keep_days": settings.EXPORT_KEEP_DAYS,
    }
    return render(request, "exports/list.html", context)


def _queue(request, **kwargs):
    def page(exc: DomainError):
        messages.error(request, str(exc))
        return redirect("units:exports")

    try:
        throttle(request, "export")
        attempt(exports.export_request, requested_by=request.user, ip=client_ip(request), **kwargs)
    except DomainError as exc:
        return refusal(request, exc, page)
    messages.success(
        request,
        _(
            "Your export is being prepared. It is listed here, and you get an email "
            "when it is ready."
        ),
    )
    return redirect("units:exports")


@portfolio_reader_required
@require_POST
def export_portfolio(request, pk):
    candidate = get_portfolio_candidate(request.user, pk)
    try:
        data = validated(ExportForm(request.POST))
    except DomainError as exc:
        return refusal(request, exc, lambda exc: redirect("units:portfolio", pk=pk))
    unit = get_portfolio_unit(request.user, candidate, data["unit"]) if data["unit"] else None
    return _queue(
        request,
        person=candidate,
        unit=unit,
        kind=PortfolioExport.Kind.PORTFOLIO,
        file_format=data["file_format"],
    )


@signed_in
@require_POST
def export_personal_data(request):
    return _queue(
        request,
        person=request.user,
        kind=PortfolioExport.Kind.PERSONAL_DATA,
        file_format=PortfolioExport.Format.ZIP,
    )


@signed_in
@require_safe
def download(request, pk):
    export = get_own_export(request.user, pk)
    if export.status != Status.READY:
        messages.error(request, _("This export is not ready to download."))
        return redirect("units:exports")
    PortfolioExport.objects.filter(pk=export.pk, downloaded_at=None).update(
        downloaded_at=timezone.now()
    )
    log_view(
        request,
        person=export.person,
        unit=export.unit,
        kind=RecordAccess.Kind.DOWNLOADED,
        what=export.file_name,
    )
    content_type = "application/pdf" if export.file_name.endswith(".pdf") else "application/zip"
    response = FileResponse(
        io.BytesIO(bytes(export.content)),
        as_attachment=True,
        filename=export.file_name,
        content_type=content_type,
    )
    response["Content-Length"] = str(export.size)
    response["Cache-Control"] = "private, no-store"
    return response


@signed_in
@require_safe
def personal_data(request):
    items = [e for e in _listed(request.user) if e.kind == PortfolioExport.Kind.PERSONAL_DATA]
    years, days = divmod(settings.DATA_RETENTION_DAYS, 365)
    context = {
        "exports": items,
        "retention_years": years if not days else None,
        "retention_days": settings.DATA_RETENTION_DAYS,
    }
    return render(request, "exports/personal_data_page.html", context)
