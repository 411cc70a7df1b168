"""Emails about answers, through a durable outbox.

Each notification is a row in django-post-office's queue (`post_office.Email`),
written in the same transaction as the change it announces: a rolled-back change
leaves no row, and a committed one always has its row. Nothing is sent here;
`manage.py deliver_notifications` delivers the rows, retrying with backoff, so a
mail server that is down or slow never fails or holds up the person's request.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from post_office import mail

logger = logging.getLogger(__name__)

_muted: ContextVar[bool] = ContextVar("notifications_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """Queue no notifications inside this block (seed_demo's invented history)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _valid(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _queue(subject: str, body: str, recipients: list[str]) -> None:
    """Write the notification to the outbox, in the caller's transaction."""
    if _muted.get():
        return
    recipients = [address for address in recipients if address]
    unusable = [address for address in recipients if not _valid(address)]
    if unusable:
        # A bad address on someone's account must not refuse the change itself.
        logger.warning("Notification %r not queued for invalid addresses %s", subject, unusable)
    recipients = [address for address in recipients if address not in unusable]
    if recipients:
        mail.send(recipients, subject=subject, message=body, priority="medium")


def notify_submitted(answer, revision) -> None:
    criterion = answer.learning_outcome
    assessors = [
        a.assessor for a in answer.candidate.assessor_assignments.select_related("assessor")
    ]
    name = answer.candidate.get_full_name() or answer.candidate.username
    _queue(
        f"[NVQ Answer Bank] {name} submitted {criterion.unit.code} {criterion.code}",
        f"{name} submitted revision {revision.number} of their answer to "
        f"{criterion.unit.code} {criterion.code}: {criterion.question}\n\n"
        f"Review it: {_absolute(reverse('units:review', kwargs={'pk': answer.pk}))}\n",
        [assessor.email for assessor in assessors],
    )


def notify_decision(answer, decision) -> None:
    criterion = answer.learning_outcome
    what = {
        "needs_revision": "has been returned to you for revision",
        "accepted": "has been accepted",
        "reopened": "has been reopened for revision",
    }[decision.outcome]
    write_url = reverse("units:write", kwargs={"unit": criterion.unit.slug, "code": criterion.code})
    _queue(
        f"[NVQ Answer Bank] {criterion.unit.code} {criterion.code} {what}",
        f"Your answer to {criterion.unit.code} {criterion.code} ({criterion.question}) {what}.\n\n"
        f"See the feedback: {_absolute(write_url)}\n",
        [answer.candidate.email],
    )
