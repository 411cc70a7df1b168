"""People's data by the rules (UK GDPR): deactivating a person at once, and, once the
awarding body's retention period is over, anonymising them.

Assessment records are evidence an awarding body may ask for: they are kept for
DATA_RETENTION_DAYS after a person is deactivated, then the person is anonymised.
Nothing is deleted that a count or the audit chain stands on: the rows stay, so
"Former candidate 17 submitted revision 2" still reads, and every count is the
same. What goes:

- who they were: name, username, email and password (a pseudonym "Former
  candidate 17" takes their place), their language choices;
- the free text they wrote in their own records: their drafts and submitted
  revisions, their replies, and the passages of their answers that assessors'
  comments quote; notes they wrote in the audit trail;
- where they were: IP addresses and browser names in the audit, decisions,
  verdicts, sign-off events, sign-in events and the record access log;
- copies: their exports, the emails sent to them, sign-in lockout records under
  their username, and their answers in the search index. (Emails about them to
  others are gone long before: delivered notifications are kept for
  NOTIFICATION_KEEP_DAYS, see prune_notifications.)

What an assessor or verifier wrote about someone else's work (comments, reasons,
verdicts) is part of that other person's record, which has a retention period of
its own: it stays, signed by the pseudonym. See docs/security.md.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from post_office.models import Email

from .errors import TransitionNotAllowed
from .models import (
    Answer,
    AuditEntry,
    Comment,
    Decision,
    PortfolioExport,
    PortfolioGrant,
    Profile,
    RecordAccess,
    Revision,
    SearchEntry,
    SecurityEvent,
    SignOffEvent,
    Verification,
)
from .roles import ASSESSOR, CANDIDATE, EXTERNAL_VERIFIER, INTERNAL_VERIFIER

logger = logging.getLogger(__name__)

# What replaces text a person wrote, once they are anonymised. Stored, so it reads the
# same in an export made years later; English, as the answers it replaces were.
REMOVED = "[Removed when the retention period ended]"


def retention_period() -> timedelta:
    return timedelta(days=settings.DATA_RETENTION_DAYS)


@transaction.atomic
def person_deactivate(*, person, by=None) -> bool:
    """Stop the person signing in, at once (their next request is signed out), and
    start the retention clock. Returns False if they were already deactivated."""
    User = get_user_model()
    now = timezone.now()
    changed = User.objects.filter(pk=person.pk, is_active=True).update(is_active=False)
    profile, _created = Profile.objects.get_or_create(user=person)
    if profile.deactivated_at is None:
        Profile.objects.filter(pk=profile.pk).update(deactivated_at=now)
    person.is_active = False
    return bool(changed)


@transaction.atomic
def person_reactivate(*, person) -> None:
    """Let a deactivated person sign in again: the retention clock stops. An
    anonymised person cannot come back."""
    profile = Profile.objects.filter(user=person).first()
    if profile is not None and profile.anonymised_at is not None:
        raise TransitionNotAllowed(_("An anonymised person cannot be reactivated."))
    get_user_model().objects.filter(pk=person.pk).update(is_active=True)
    Profile.objects.filter(user=person).update(deactivated_at=None)
    person.is_active = True


def retention_ends(profile: Profile):
    if profile is None or profile.deactivated_at is None:
        return None
    return profile.deactivated_at + retention_period()


def past_retention(at=None):
    """The people whose retention period is over and who are not yet anonymised."""
    at = at or timezone.now()
    return (
        get_user_model()
        .objects.filter(
            is_active=False,
            profile__deactivated_at__lte=at - retention_period(),
            profile__anonymised_at=None,
        )
        .order_by("profile__deactivated_at", "pk")
    )


# The pseudonym's first word, by the person's role (their groups), first match wins.
PSEUDONYMS = [
    (CANDIDATE, "Former candidate"),
    (ASSESSOR, "Former assessor"),
    (INTERNAL_VERIFIER, "Former internal verifier"),
    (EXTERNAL_VERIFIER, "Former external verifier"),
]


def _pseudonym(person) -> tuple[str, str]:
    """The first and last name that replace theirs: "Former candidate" and their
    number (the account's id, which nothing outside the bank knows them by). Stored
    in English, like the group names it comes from."""
    groups = set(person.groups.values_list("name", flat=True))
    if Answer.objects.filter(candidate=person).exists():
        groups.add(CANDIDATE)
    for group, name in PSEUDONYMS:
        if group in groups:
            return name, str(person.pk)
    return ("Former member of staff" if person.is_staff else "Former user"), str(person.pk)


@transaction.atomic
def person_anonymise(*, person, at=None) -> None:
    """Anonymise a person whose retention period is over (see the module's text).
    Refused for anyone else: an active person, or one still within the period."""
    at = at or timezone.now()
    if not past_retention(at).filter(pk=person.pk).exists():
        raise TransitionNotAllowed(
            _("Only a deactivated person whose retention period is over is anonymised.")
        )
    first_name, last_name = _pseudonym(person)
    old_username, old_email = person.username, person.email
    _remove_their_text(person)
    _remove_where_they_were(person, old_username)
    _remove_copies(person, old_username, old_email)
    person.first_name, person.last_name = first_name, last_name
    person.username = f"former-{person.pk}"
    person.email = ""
    person.is_staff = person.is_superuser = False
    person.set_unusable_password()
    person.save(
        update_fields=["first_name", "last_name", "username", "email", "is_staff",
                       "is_superuser", "password"]
    )  # fmt: skip
    Profile.objects.filter(user=person).update(
        anonymised_at=at, interface_language="", answer_language=""
    )


def _remove_their_text(person) -> None:
    """What they wrote in their own record. What they wrote in someone else's (an
    assessor's comments and reasons) is that person's record, and stays."""
    answers = Answer.objects.filter(candidate=person)
    answers.exclude(text="").update(text=REMOVED)
    # A revision is frozen for everyone else; this is the one sanctioned change.
    Revision.objects.filter(answer__candidate=person).update(text=REMOVED)
    Comment.objects.filter(author=person, answer__candidate=person).update(body=REMOVED)
    # Passages of their answers, quoted in comments: the marker, and where it stands.
    Comment.objects.filter(answer__candidate=person).exclude(quote="").update(
        quote=REMOVED, quote_start=0, quote_end=len(REMOVED)
    )
    AuditEntry.objects.filter(actor=person, answer__candidate=person).exclude(note="").redact(
        note=REMOVED
    )


def _remove_where_they_were(person, username: str) -> None:
    AuditEntry.objects.filter(actor=person).redact(ip_address=None)
    SignOffEvent.objects.filter(actor=person).redact(ip_address=None)
    RecordAccess.objects.filter(reader=person).redact(ip_address=None)
    Decision.objects.filter(assessor=person).update(ip_address=None)
    Verification.objects.filter(verifier=person).update(ip_address=None)
    SecurityEvent.objects.filter(user=person).update(
        username=f"former-{person.pk}", ip_address=None, user_agent=""
    )
    # Failed sign-ins name the account by what was typed.
    SecurityEvent.objects.filter(user=None, username=username).update(
        username=f"former-{person.pk}", ip_address=None, user_agent=""
    )


def _remove_copies(person, username: str, email: str) -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    PortfolioExport.objects.filter(person=person).delete()
    PortfolioExport.objects.filter(requested_by=person).delete()
    SearchEntry.objects.filter(owner=person).delete()
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=username).delete()
    # What a grant to read their portfolio was for may name them.
    PortfolioGrant.objects.filter(candidate=person).update(note="")
    if email:
        wanted = email.lower()
        sent_to_them = [
            e.pk
            for e in Email.objects.filter(to__icontains=email).only("pk", "to")
            if wanted in (address.lower() for address in e.to)
        ]
        Email.objects.filter(pk__in=sent_to_them).delete()


def apply_retention(*, dry_run: bool = False, at=None) -> tuple[list, list]:
    """Anonymise everyone past the retention period, one transaction each: one
    failure is logged and leaves the others done. Returns (username, deactivated
    at) as they were, of those anonymised (or, with dry_run, to be), and of those
    that failed."""
    done, failed = [], []
    for person in past_retention(at).select_related("profile"):
        found = (person.username, person.profile.deactivated_at)
        if dry_run:
            done.append(found)
            continue
        try:
            person_anonymise(person=person, at=at)
        except Exception:
            logger.exception("Anonymising %s failed", found[0])
            failed.append(found)
        else:
            done.append(found)
    return done, failed


def prune_exports(at=None) -> int:
    """Delete the exports kept past EXPORT_KEEP_DAYS; returns how many."""
    deleted, _counts = PortfolioExport.objects.expired(at).delete()
    return deleted


def prune_notifications(at=None) -> int:
    """Delete the notifications delivered (or given up on) more than
    NOTIFICATION_KEEP_DAYS ago, with their delivery logs: an email is a copy, not a
    record, and it names people. Returns how many emails."""
    from post_office.models import STATUS

    before = (at or timezone.now()) - timedelta(days=settings.NOTIFICATION_KEEP_DAYS)
    done = Email.objects.filter(status__in=[STATUS.sent, STATUS.failed], created__lt=before)
    deleted = done.count()
    done.delete()
    return deleted
