"""Units signed off as complete: one function per step, one transaction each.

The assessor signs a unit off once every criterion of it is accepted for the
candidate; the candidate confirms it with a declaration (then it is complete);
an internal verifier may countersign. Reopening any criterion of the unit
withdraws the sign-off (services.answer_reopen calls withdraw_for_reopen), and a
new sign-off is a new row: the withdrawn one stays on record, with its events.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import notifications
from .errors import Invalid, TransitionNotAllowed
from .models import (
    Answer,
    Assignment,
    Enrolment,
    LearningOutcome,
    SignOffEvent,
    Unit,
    UnitSignOff,
)

Kind = SignOffEvent.Kind


def criteria_left(candidate, unit: Unit, *, lock: bool = False) -> int:
    """How many of the unit's criteria are not yet accepted for the candidate (a unit
    without criteria has one left: there is nothing to sign off).

    lock: hold the accepted answers' rows until the transaction ends. A criterion
    being reopened at the same moment (its row locked by the reopening's UPDATE) is
    then waited for and counted as it ends up; one reopened after waits for the
    sign-off, and withdraws it."""
    criteria = LearningOutcome.objects.filter(unit=unit).count()
    accepted = Answer.objects.filter(
        candidate=candidate, learning_outcome__unit=unit, status=Answer.Status.ACCEPTED
    )
    if lock:
        accepted = accepted.select_for_update(of=("self",)).order_by()
    count = len(accepted.values_list("pk", flat=True))
    return criteria - count if criteria else 1


def ready_to_sign_off(candidate, unit: Unit) -> bool:
    """Every criterion accepted, and no sign-off standing yet."""
    return criteria_left(candidate, unit) == 0 and _standing(candidate, unit) is None


def _event(sign_off, kind, actor, *, ip=None, note="", answer=None, at=None) -> None:
    SignOffEvent.objects.create(
        sign_off=sign_off,
        kind=kind,
        actor=actor,
        answer=answer,
        note=note,
        ip_address=ip,
        created_at=at or timezone.now(),
    )


def _standing(candidate, unit, *, lock=False) -> UnitSignOff | None:
    sign_offs = UnitSignOff.objects.active().filter(candidate=candidate, unit=unit)
    if lock:
        # Only the sign-off's row: not its unit's, which every other candidate shares.
        sign_offs = sign_offs.select_for_update(of=("self",)).order_by("pk")
    return sign_offs.first()


def _date(moment) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


@transaction.atomic
def unit_sign_off(*, candidate, unit: Unit, assessor, ip: str | None = None) -> UnitSignOff:
    """The assessor signs the unit off for their candidate: every criterion accepted."""
    # Two sign-offs of one unit (two assessors, two tabs) queue on the enrolment's
    # row; the second then finds the first's sign-off.
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .filter(candidate=candidate, unit=unit, unit__published_at__isnull=False)
        .order_by("pk")
        .first()
    )
    if enrolment is None:
        raise TransitionNotAllowed(_("The candidate is not enrolled on this unit."))
    if not (
        assessor.is_superuser
        or Assignment.objects.filter(candidate=candidate, assessor=assessor).exists()
    ):
        raise TransitionNotAllowed(_("Only the candidate's own assessor can sign a unit off."))
    standing = _standing(candidate, unit)
    if standing is not None:
        raise TransitionNotAllowed(
            _("This unit was already signed off on %(date)s.") % {"date": _date(standing.signed_at)}
        )
    left = criteria_left(candidate, unit, lock=True)
    if left > 0:
        raise TransitionNotAllowed(
            ngettext(
                "Every criterion of the unit must be accepted before it is signed off: "
                "%(count)s is still to go.",
                "Every criterion of the unit must be accepted before it is signed off: "
                "%(count)s are still to go.",
                left,
            )
            % {"count": left}
        )
    now = timezone.now()
    sign_off = UnitSignOff.objects.create(
        candidate=candidate, unit=unit, assessor=assessor, signed_at=now
    )
    _event(sign_off, Kind.SIGNED, assessor, ip=ip, at=now)
    notifications.notify_signed_off(sign_off)
    return sign_off


@transaction.atomic
def unit_confirm(*, candidate, unit: Unit, declaration: bool, ip: str | None = None):
    """The candidate confirms the sign-off with the declaration: the unit is complete."""
    if not declaration:
        raise Invalid(_("Tick the declaration to confirm the unit."))
    sign_off = _standing(candidate, unit, lock=True)
    if sign_off is None:
        raise TransitionNotAllowed(_("Your assessor has not signed this unit off."))
    if sign_off.confirmed_at is not None:
        return sign_off  # a second press of the button: already done
    sign_off.confirmed_at = timezone.now()
    sign_off.save(update_fields=["confirmed_at"])
    _event(sign_off, Kind.CONFIRMED, candidate, ip=ip, at=sign_off.confirmed_at)
    notifications.notify_confirmed(sign_off)
    return sign_off


@transaction.atomic
def unit_countersign(*, candidate, unit: Unit, verifier, ip: str | None = None) -> UnitSignOff:
    """An internal verifier countersigns a complete unit."""
    sign_off = _standing(candidate, unit, lock=True)
    if sign_off is None or sign_off.confirmed_at is None:
        raise TransitionNotAllowed(
            _(
                "Only a unit signed off by the assessor and confirmed by the candidate "
                "is countersigned."
            )
        )
    if sign_off.assessor_id == verifier.pk:
        raise TransitionNotAllowed(
            _("You signed this unit off as its assessor: another verifier countersigns it.")
        )
    if sign_off.countersigned_at is not None:
        return sign_off
    sign_off.countersigned_by = verifier
    sign_off.countersigned_at = timezone.now()
    sign_off.save(update_fields=["countersigned_by", "countersigned_at"])
    _event(sign_off, Kind.COUNTERSIGNED, verifier, ip=ip, at=sign_off.countersigned_at)
    return sign_off


def withdraw_for_reopen(answer: Answer, *, by, reason: str, ip: str | None = None) -> None:
    """A criterion of a signed-off unit was reopened: the sign-off no longer stands.
    Runs inside the reopening's transaction."""
    unit_id = LearningOutcome.objects.filter(pk=answer.learning_outcome_id).values("unit_id")
    sign_off = _standing(answer.candidate_id, unit_id[:1], lock=True)
    if sign_off is None:
        return
    sign_off.withdrawn_at = timezone.now()
    sign_off.save(update_fields=["withdrawn_at"])
    _event(
        sign_off, Kind.WITHDRAWN, by, ip=ip, note=reason, answer=answer, at=sign_off.withdrawn_at
    )
