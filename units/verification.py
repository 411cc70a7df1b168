"""An internal verifier's verdict on an assessor's decision, and the assessor's
acknowledgement of the feedback: one function each, one transaction each."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import notifications, services
from .errors import AnswerTooLong, Invalid, TransitionNotAllowed
from .models import Answer, Decision, Profile, Verification
from .text import MAX_COMMENT_CHARS, clean_text

Verdict = Verification.Verdict


def _text(value: str) -> str:
    value = clean_text(value or "").strip()
    if len(value) > MAX_COMMENT_CHARS:
        raise AnswerTooLong(
            ngettext(
                "A reason, action or feedback can be at most %(limit)s character.",
                "A reason, action or feedback can be at most %(limit)s characters.",
                MAX_COMMENT_CHARS,
            )
            % {"limit": number_format(MAX_COMMENT_CHARS, force_grouping=True)}
        )
    return value


def _check(decision: Decision, verifier, verdict: str, reason: str, action: str, reopen: bool):
    if decision.assessor_id == verifier.pk:
        raise TransitionNotAllowed(_("You cannot verify your own assessment decisions."))
    if decision.outcome not in Decision.ASSESSMENTS:
        raise Invalid(_("Only decisions to accept or return an answer are verified."))
    if verdict not in Verdict.values:
        raise Invalid(_("Choose a verdict: agree, disagree, or agree with an action."))
    if verdict == Verdict.DISAGREE and not reason:
        raise Invalid(_("Give the reason you disagree with the decision."))
    if verdict == Verdict.ACTION and not action:
        raise Invalid(_("Say what the assessor should do."))
    if reopen and verdict != Verdict.DISAGREE:
        raise Invalid(_("Only a disagreement can reopen the answer."))


def _reopen(decision: Decision, verifier, reason: str, ip) -> None:
    """Reopen the answer this decision accepted, through the workflow (audited, the
    candidate told, a unit sign-off withdrawn): only while that acceptance stands."""
    answer = Answer.objects.select_related("candidate", "learning_outcome__unit").get(
        pk=decision.answer_id
    )
    standing = answer.decisions.order_by("-created_at", "-id").values_list("pk", flat=True).first()
    if (
        decision.outcome != Decision.Outcome.ACCEPTED
        or answer.status != Answer.Status.ACCEPTED
        or standing != decision.pk
    ):
        raise TransitionNotAllowed(
            _(
                "This decision no longer stands (the answer is now: %(status)s), so it "
                "cannot reopen the answer. Record the verdict without reopening."
            )
            % {"status": answer.get_status_display().lower()}
        )
    services.answer_reopen(answer=answer, by=verifier, reason=reason, ip=ip)


@transaction.atomic
def decision_verify(
    *,
    decision: Decision,
    verifier,
    verdict: str,
    reason: str = "",
    action: str = "",
    feedback: str = "",
    reopen: bool = False,
    ip: str | None = None,
) -> Verification:
    """Record the verifier's verdict and feedback; a disagreement may reopen the
    accepted answer. The assessor is told."""
    reason, action, feedback = _text(reason), _text(action), _text(feedback)
    _check(decision, verifier, verdict, reason, action, reopen)
    # Two verdicts on one decision (two verifiers, a double click) queue here.
    Decision.objects.select_for_update().filter(pk=decision.pk).first()
    earlier = Verification.objects.filter(decision=decision).select_related("verifier").first()
    if earlier is not None:
        raise _already(earlier)
    if reopen:
        _reopen(decision, verifier, reason, ip)
    try:
        with transaction.atomic():
            verification = Verification.objects.create(
                decision=decision,
                verifier=verifier,
                verdict=verdict,
                reason=reason if verdict == Verdict.DISAGREE else "",
                action=action if verdict == Verdict.ACTION else "",
                feedback=feedback,
                reopened=reopen,
                ip_address=ip,
            )
    except IntegrityError as error:  # SQLite without the row lock: the other verdict won
        earlier = Verification.objects.select_related("verifier").get(decision=decision)
        raise _already(earlier) from error
    Profile.objects.get_or_create(user_id=decision.assessor_id)
    Profile.objects.filter(user_id=decision.assessor_id).update(
        unread_verifications=F("unread_verifications") + 1
    )
    notifications.notify_verified(verification)
    return verification


def _already(verification: Verification) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("%(name)s already verified this decision (%(verdict)s).")
        % {
            "name": verification.verifier.get_full_name() or verification.verifier.username,
            "verdict": verification.get_verdict_display().lower(),
        }
    )


@transaction.atomic
def verification_acknowledge(*, verification: Verification, assessor) -> Verification:
    """The assessor has read the feedback (for an action: done it). Saying so twice
    changes nothing."""
    read = Verification.objects.filter(pk=verification.pk, acknowledged_at=None).update(
        acknowledged_at=timezone.now()
    )
    if read:
        Profile.objects.filter(user=assessor, unread_verifications__gt=0).update(
            unread_verifications=F("unread_verifications") - 1
        )
    verification.refresh_from_db(fields=["acknowledged_at"])
    return verification
