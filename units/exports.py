"""Exports: a candidate's portfolio (or one unit of it) for the external verifier and
the centre's archive, and everything the bank holds about a person, for them.

Asking is a service (export_request): a PortfolioExport row, a line in the record
access log and a task in the queue, in one transaction. The worker
(`manage.py db_worker`) makes the file (build), stores it in the row and tells
the person by email; the exports page shows its state meanwhile.

The PDF is laid out by WeasyPrint from our own templates (templates/exports/),
with the fonts embedded: Korean, Chinese and Cyrillic text quoted in an answer
renders through Debian's fonts-noto-cjk. WeasyPrint fetches nothing: every
stylesheet is given to it, and a link or image in a rendered text reaches no
network or file (pdf). The JSON holds the same records, with ISO 8601
times and BCP 47 language tags; a ZIP holds both.
"""

import hashlib
import io
import json
import logging
import zipfile
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import notifications
from .access import portfolio_units
from .errors import TransitionNotAllowed
from .languages import interface_tag
from .models import PortfolioExport, RecordAccess
from .portfolio import unit_records

logger = logging.getLogger(__name__)

Kind = PortfolioExport.Kind
Format = PortfolioExport.Format
Status = PortfolioExport.Status

# An export still waiting or being made after this long is offered again: its
# worker may have died with it.
STUCK_AFTER = timedelta(minutes=30)


@transaction.atomic
def export_request(
    *,
    requested_by,
    person,
    kind: str,
    file_format: str,
    unit=None,
    ip: str | None = None,
) -> PortfolioExport:
    """Queue an export (access already checked by the caller, through units.access).

    The same export asked for again while one is being made is that one: a double
    click queues one file, not two."""
    from .tasks import build_export

    if kind == Kind.PERSONAL_DATA and person.pk != requested_by.pk:
        raise TransitionNotAllowed(_("A person's own data is exported for them only."))
    now = timezone.now()
    pending = (
        PortfolioExport.objects.without_content()
        .filter(
            requested_by=requested_by,
            person=person,
            unit=unit,
            kind=kind,
            file_format=file_format,
            status__in=[Status.QUEUED, Status.RUNNING],
            created_at__gt=now - STUCK_AFTER,
        )
        .first()
    )
    if pending is not None:
        return pending
    export = PortfolioExport.objects.create(
        requested_by=requested_by,
        person=person,
        unit=unit,
        kind=kind,
        file_format=file_format,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        created_at=now,
        expires_at=now + timedelta(days=settings.EXPORT_KEEP_DAYS),
    )
    RecordAccess.objects.create(
        kind=RecordAccess.Kind.EXPORT_REQUESTED,
        reader=requested_by,
        person=person,
        unit=unit,
        # Codes, not words: the log reads the same whoever asked, in whatever language.
        what=f"export #{export.pk}: {export.kind}, {export.file_format}",
        ip_address=ip,
        created_at=now,
    )
    # In the same transaction as the row: the task exists if and only if the export does.
    build_export.enqueue(export.pk)
    return export


def build(export_id: int) -> None:
    """Make the export's file (the worker's task). A failure is recorded on the
    export, and the person told; it never leaves the export looking busy."""
    started = timezone.now()
    claimed = PortfolioExport.objects.filter(pk=export_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=started
    )
    if not claimed:
        return  # already made, or taken by another worker
    export = PortfolioExport.objects.select_related("requested_by", "person", "unit").get(
        pk=export_id
    )
    try:
        with translation.override(export.language):
            name, content, unit_ids = _make(export)
    except Exception as error:
        logger.exception("Export %s failed", export_id)
        export.status = Status.FAILED
        export.error = repr(error)[:2000]
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
    else:
        export.status = Status.READY
        export.file_name = name
        export.content = content
        export.size = len(content)
        export.sha256 = hashlib.sha256(content).hexdigest()
        export.unit_ids = unit_ids
        export.finished_at = timezone.now()
        export.save(
            update_fields=[
                "status", "file_name", "content", "size", "sha256", "unit_ids", "finished_at"
            ]
        )  # fmt: skip
    notifications.notify_export_ready(export)


def _make(export: PortfolioExport) -> tuple[str, bytes, list[int]]:
    """The file's name and bytes, and the ids of the units it holds."""
    stamp = timezone.localdate(export.created_at).isoformat()
    who = slugify(export.person.username) or str(export.person.pk)
    if export.kind == Kind.PERSONAL_DATA:
        from . import personal_data  # which reads the JSON helpers below

        data, html = personal_data.collect(export.person, exported_by=export.requested_by)
        base = f"personal-data-{who}-{stamp}"
        return f"{base}.zip", _zip(base, data, html), []
    units = portfolio_units(export.requested_by, export.person).order_by("code")
    if export.unit_id:
        units = units.filter(pk=export.unit_id)
    records = unit_records(export.person, units)
    unit_ids = [record.unit.pk for record in records]
    data = portfolio_data(export.person, records, exported_by=export.requested_by)
    html = render_to_string(
        "exports/portfolio.html",
        {
            "candidate": export.person,
            "records": records,
            "exported_by": export.requested_by,
            "exported_at": timezone.now(),
            "single_unit": export.unit,
            "language_tag": interface_tag(export.language),
            "time_zone": settings.TIME_ZONE,
        },
    )
    base = f"portfolio-{who}" + (f"-{slugify(export.unit.code)}" if export.unit_id else "")
    base += f"-{stamp}"
    if export.file_format == Format.PDF:
        return f"{base}.pdf", pdf(html), unit_ids
    return f"{base}.zip", _zip(base, data, html), unit_ids


def _zip(base: str, data: dict, html: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{base}/{base}.pdf", pdf(html))
        archive.writestr(
            f"{base}/{base}.json",
            json.dumps(data, ensure_ascii=False, indent=2, default=str),
        )
    return buffer.getvalue()


def pdf(html: str) -> bytes:
    """The HTML laid out as a PDF, fetching nothing: not from the network, not from
    the disk. Every stylesheet is in the HTML, and the texts allow no images; a URL
    that would be fetched all the same is refused here."""
    from weasyprint import HTML  # loads Pango: only where a PDF is made
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"Exports fetch nothing ({url[:80]!r}).")

    return HTML(string=html, url_fetcher=NoFetching(), base_url=None).write_pdf()


# --- The JSON ------------------------------------------------------------------


def when(moment) -> str | None:
    return moment.isoformat() if moment else None


def person_ref(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.username, "name": user.get_full_name() or user.username}


def _verification(decision) -> dict | None:
    verification = getattr(decision, "verification", None)
    if verification is None:
        return None
    return {
        "verdict": verification.verdict,
        "by": person_ref(verification.verifier),
        "at": when(verification.created_at),
        "reason": verification.reason,
        "action": verification.action,
        "feedback": verification.feedback,
        "reopened_the_answer": verification.reopened,
        "acknowledged_at": when(verification.acknowledged_at),
    }


def _criterion_data(record) -> dict:
    criterion, revision = record.criterion, record.revision
    return {
        "code": criterion.code,
        "learning_outcome": criterion.outcome,
        "question": criterion.question,
        "status": record.status.value,
        "revision": {
            "number": revision.number,
            "submitted_at": when(revision.created_at),
            "word_count": revision.word_count,
            "accepted": record.is_accepted,
            "language": "en",
            "text": revision.text,
        }
        if revision
        else None,
        "revisions_submitted": len(record.revisions),
        "decisions": [
            {
                "outcome": decision.outcome,
                "by": person_ref(decision.assessor),
                "at": when(decision.created_at),
                "revision": decision.revision.number,
                "reason": decision.reason,
                "internal_verification": _verification(decision),
            }
            for decision in record.decisions
        ],
        "comments": [
            {
                "by": person_ref(comment.author),
                "at": when(comment.created_at),
                "revision": comment.revision.number,
                "passage": comment.quote,
                "body_markdown": comment.body,
            }
            for comment in record.comments
        ],
        "history": [
            {
                "action": entry.action,
                "by": person_ref(entry.actor),
                "at": when(entry.created_at),
                "from_status": entry.from_status,
                "to_status": entry.to_status,
                "revision": entry.revision.number if entry.revision else None,
                "note": entry.note,
            }
            for entry in record.history
        ],
    }


def _sign_off_data(sign_off) -> dict:
    return {
        "signed_off_by": person_ref(sign_off.assessor),
        "signed_off_at": when(sign_off.signed_at),
        "confirmed_by_candidate_at": when(sign_off.confirmed_at),
        "countersigned_by": person_ref(sign_off.countersigned_by),
        "countersigned_at": when(sign_off.countersigned_at),
        "withdrawn_at": when(sign_off.withdrawn_at),
        "events": [
            {
                "kind": event.kind,
                "by": person_ref(event.actor),
                "at": when(event.created_at),
                "criterion": event.answer.learning_outcome.code if event.answer else None,
                "note": event.note,
            }
            for event in sign_off.event_list
        ],
    }


def units_data(records) -> list[dict]:
    return [
        {
            "code": record.unit.code,
            "title": record.unit.title,
            "level": record.unit.level,
            "credit": record.unit.credit,
            "ofqual_reference": record.unit.ofqual_ref,
            "enrolled_at": when(record.enrolled_at),
            "complete": record.is_complete,
            "criteria_accepted": record.accepted,
            "criteria": [_criterion_data(criterion) for criterion in record.criteria],
            "sign_offs": [_sign_off_data(sign_off) for sign_off in record.sign_offs],
        }
        for record in records
    ]


def portfolio_data(candidate, records, *, exported_by) -> dict:
    return {
        "format": "nvqbank-portfolio",
        "version": 1,
        "exported_at": when(timezone.now()),
        "exported_by": person_ref(exported_by),
        "time_zone": settings.TIME_ZONE,
        "candidate": person_ref(candidate),
        "units": units_data(records),
    }
