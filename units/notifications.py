"""Emails about answers. Sent only once the transaction that made the change has
committed, so nobody is told about a change that was rolled back."""

from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _send_after_commit(subject: str, body: str, recipients: list[str]) -> None:
    recipients = [address for address in recipients if address]
    if recipients:
        transaction.on_commit(
            partial(send_mail, subject, body, None, recipients, fail_silently=False)
        )


def notify_submitted(answer, revision) -> None:
    criterion = answer.learning_outcome
    assessors = [
        a.assessor for a in answer.candidate.assessor_assignments.select_related("assessor")
    ]
    name = answer.candidate.get_full_name() or answer.candidate.username
    _send_after_commit(
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
    _send_after_commit(
        f"[NVQ Answer Bank] {criterion.unit.code} {criterion.code} {what}",
        f"Your answer to {criterion.unit.code} {criterion.code} ({criterion.question}) {what}.\n\n"
        f"See the feedback: {_absolute(write_url)}\n",
        [answer.candidate.email],
    )
