"""Emails about answers, through a durable outbox.

Each notification is a row in django-post-office's queue (`post_office.Email`),
written in the same transaction as the change it announces: a rolled-back change
leaves no row, and a committed one always has its row. Nothing is sent here;
`manage.py deliver_notifications` delivers the rows, retrying with backoff, so a
mail server that is down or slow never fails or holds up the person's request.

Each recipient is written to in their own interface language (units.languages.
interface_language_of): one email per language, so two assessors of a candidate
may get the same news in two languages. The criterion's question is quoted in
English, the language it is assessed in.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from post_office import mail

from .languages import interface_language_of

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


def _by_language(people) -> dict[str, list]:
    """The recipients grouped by the interface language each reads."""
    groups: dict[str, list] = {}
    for person in people:
        groups.setdefault(interface_language_of(person), []).append(person)
    return groups


def _subject(text: str) -> str:
    # Translators: an email's subject: the app's name in brackets, then what happened.
    return _("[%(site)s] %(subject)s") % {"site": _("NVQ Answer Bank"), "subject": text}


def _email(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


def notify_submitted(answer, revision) -> None:
    criterion = answer.learning_outcome
    assessors = [
        a.assessor
        for a in answer.candidate.assessor_assignments.select_related("assessor__profile")
    ]
    details = {
        "name": answer.candidate.get_full_name() or answer.candidate.username,
        "criterion": f"{criterion.unit.code} {criterion.code}",
        "number": revision.number,
        "question": criterion.question,
        "url": _absolute(reverse("units:review", kwargs={"pk": answer.pk})),
    }
    for language, people in _by_language(assessors).items():
        with translation.override(language):
            # Translators: %(criterion)s is a unit and criterion code, such as "F3 3.5".
            subject = _subject(_("%(name)s submitted %(criterion)s") % details)
            body = _email(
                # Translators: %(question)s is the criterion's question, quoted in English.
                _(
                    "%(name)s submitted revision %(number)s of their answer to "
                    "%(criterion)s: %(question)s"
                )
                % details,
                _("Review it: %(url)s") % details,
            )
        _queue(subject, body, [person.email for person in people])


def _decision_email(outcome: str, details: dict) -> tuple[str, str]:
    """The subject and first paragraph for one decision: whole sentences per outcome.
    %(criterion)s is a unit and criterion code ("F3 3.5"), %(question)s the
    criterion's question, quoted in English."""
    if outcome == "accepted":
        # Translators: an email's subject; %(criterion)s is a unit and criterion code ("F3 3.5").
        subject = _("%(criterion)s has been accepted")
        news = _("Your answer to %(criterion)s (%(question)s) has been accepted.")
    elif outcome == "reopened":
        subject = _("%(criterion)s has been reopened for revision")
        news = _("Your answer to %(criterion)s (%(question)s) has been reopened for revision.")
    else:
        subject = _("%(criterion)s has been returned to you for revision")
        news = _(
            "Your answer to %(criterion)s (%(question)s) has been returned to you for revision."
        )
    return _subject(subject % details), news % details


def notify_decision(answer, decision) -> None:
    criterion = answer.learning_outcome
    write_url = reverse("units:write", kwargs={"unit": criterion.unit.slug, "code": criterion.code})
    candidate = answer.candidate
    details = {
        "criterion": f"{criterion.unit.code} {criterion.code}",
        "question": criterion.question,
        "url": _absolute(write_url),
    }
    with translation.override(interface_language_of(candidate)):
        subject, news = _decision_email(decision.outcome, details)
        body = _email(news, _("See the feedback: %(url)s") % details)
    _queue(subject, body, [candidate.email])


def _name(person) -> str:
    return person.get_full_name() or person.username


def notify_verified(verification) -> None:
    """The assessor is told an internal verifier checked one of their decisions."""
    decision = verification.decision
    answer = decision.answer
    criterion = answer.learning_outcome
    assessor = decision.assessor
    details = {
        "verifier": _name(verification.verifier),
        "candidate": _name(answer.candidate),
        "criterion": f"{criterion.unit.code} {criterion.code}",
        "url": _absolute(reverse("units:review", kwargs={"pk": answer.pk}) + "#verification"),
    }
    verdict = verification.verdict
    with translation.override(interface_language_of(assessor)):
        if verdict == "disagree":
            # Translators: an email's subject; %(criterion)s is a unit and criterion code.
            subject = _("%(verifier)s disagrees with your decision on %(criterion)s")
        elif verdict == "action":
            subject = _("%(verifier)s agrees with your decision on %(criterion)s, with an action")
        else:
            subject = _("%(verifier)s agrees with your decision on %(criterion)s")
        paragraphs = [
            _(
                "%(verifier)s, internal verifier, checked your decision on %(candidate)s's "
                "answer to %(criterion)s."
            )
            % details
        ]
        if verification.reopened:
            paragraphs.append(_("The answer has been reopened for the candidate to revise."))
        paragraphs.append(_("Read the feedback: %(url)s") % details)
        body = _email(*paragraphs)
        subject = _subject(subject % details)
    _queue(subject, body, [assessor.email])


def _unit_details(sign_off, url: str) -> dict:
    return {
        "unit": sign_off.unit.code,
        "title": sign_off.unit.title,
        "candidate": _name(sign_off.candidate),
        "assessor": _name(sign_off.assessor),
        "url": _absolute(url),
    }


def notify_signed_off(sign_off) -> None:
    """The candidate is asked to confirm the unit their assessor signed off."""
    candidate = sign_off.candidate
    details = _unit_details(sign_off, reverse("units:progress") + f"#unit-{sign_off.unit_id}")
    with translation.override(interface_language_of(candidate)):
        # Translators: an email's subject; %(unit)s is a unit code such as "F3".
        subject = _subject(_("Unit %(unit)s is signed off: please confirm it") % details)
        body = _email(
            # Translators: %(title)s is the unit's title, in English.
            _("%(assessor)s has signed off unit %(unit)s (%(title)s): every criterion is accepted.")
            % details,
            _("Confirm it with the declaration to complete the unit: %(url)s") % details,
        )
    _queue(subject, body, [candidate.email])


def notify_confirmed(sign_off) -> None:
    """The assessor learns the candidate confirmed the unit: it is complete."""
    assessor = sign_off.assessor
    details = _unit_details(
        sign_off,
        reverse(
            "units:portfolio_unit",
            kwargs={"pk": sign_off.candidate_id, "unit": sign_off.unit.slug},
        ),
    )
    with translation.override(interface_language_of(assessor)):
        subject = _subject(_("%(candidate)s confirmed unit %(unit)s: it is complete") % details)
        body = _email(
            _("%(candidate)s confirmed your sign-off of unit %(unit)s (%(title)s).") % details,
            _("See the unit: %(url)s") % details,
        )
    _queue(subject, body, [assessor.email])


def notify_export_ready(export) -> None:
    """The person who asked for an export is told it can be downloaded (or failed)."""
    requester = export.requested_by
    details = {
        "person": _name(export.person),
        "url": _absolute(reverse("units:exports")),
        "days": settings.EXPORT_KEEP_DAYS,
    }
    with translation.override(interface_language_of(requester)):
        if export.status == "ready":
            subject = _subject(_("Your export of %(person)s's records is ready") % details)
            body = _email(
                _("The export you asked for is ready to download: %(url)s") % details,
                ngettext(
                    "It is deleted after %(days)s day.",
                    "It is deleted after %(days)s days.",
                    settings.EXPORT_KEEP_DAYS,
                )
                % details,
            )
        else:
            subject = _subject(_("Your export of %(person)s's records could not be made") % details)
            body = _email(
                _(
                    "Something went wrong while making the export you asked for. "
                    "Ask for it again: %(url)s"
                )
                % details
            )
    _queue(subject, body, [requester.email])
