"""Every change to a candidate's answer: one function per action, one transaction each.

Views call these with objects already fetched through units.access; the
functions enforce the rules (the state machine on Answer, optimistic versions)
and raise a DomainError subclass for anything the rules do not allow.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Answer, LearningOutcome, Revision
from .text import MAX_ANSWER_CHARS, clean_text, count_words


class DomainError(Exception):
    """A change the rules do not allow; its message is meant for the user."""


class TransitionNotAllowed(DomainError):
    pass


class AnswerTooLong(DomainError):
    pass


class EmptyAnswer(DomainError):
    pass


class StaleVersion(DomainError):
    """The answer changed since the editor loaded it (another tab or device)."""

    def __init__(self, current: Answer | None):
        super().__init__(
            "This answer was changed somewhere else (another tab or device) since you "
            "opened it. Nothing was overwritten: choose which text to keep."
        )
        self.current = current


def _check_length(text: str) -> None:
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerTooLong(
            f"An answer can be at most {MAX_ANSWER_CHARS:,} characters; this one has "
            f"{len(text):,}. Nothing was saved from this change."
        )


def _locked_message(answer: Answer) -> str:
    if answer.status == Answer.Status.ACCEPTED:
        return "This answer has been accepted and can no longer be changed."
    return "This answer is with your assessor and cannot be changed until it is returned."


@transaction.atomic
def draft_save(*, candidate, criterion: LearningOutcome, text: str, base_version: int) -> Answer:
    """Save the candidate's text if nobody saved since base_version; return the answer."""
    text = clean_text(text)
    _check_length(text)
    now = timezone.now()
    answers = Answer.objects.filter(candidate=candidate, learning_outcome=criterion)
    # The version check and the write are one UPDATE, so two saves from the same
    # version cannot both succeed, whatever the database's isolation.
    updated = answers.filter(version=base_version, status__in=Answer.EDITABLE).update(
        text=text, version=F("version") + 1, updated_at=now
    )
    if updated:
        return answers.get()
    current = answers.first()
    if current is None and base_version == 0:
        try:
            with transaction.atomic():
                return Answer.objects.create(
                    candidate=candidate,
                    learning_outcome=criterion,
                    text=text,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:  # another tab created it a moment ago
            current = answers.first()
    if current is not None and not current.is_editable:
        raise TransitionNotAllowed(_locked_message(current))
    if current is not None and current.text == text:
        # The same text is already there: a retry whose first attempt landed
        # (its response was lost), or the same words from another tab.
        return current
    raise StaleVersion(current)


def _transition(answer: Answer, action: str, **changes) -> Answer:
    sources, target = Answer.TRANSITIONS[action]
    now = timezone.now()
    updated = Answer.objects.filter(
        pk=answer.pk, version=answer.version, status__in=sources
    ).update(status=target, version=F("version") + 1, updated_at=now, **changes)
    if not updated:
        answer.refresh_from_db()
        if answer.status not in sources:
            raise TransitionNotAllowed(
                f"An answer that is {answer.get_status_display().lower()} cannot be {action}ed."
                if action != "submit"
                else _locked_message(answer)
            )
        raise StaleVersion(answer)
    answer.refresh_from_db()
    return answer


@transaction.atomic
def draft_submit(
    *, candidate, criterion: LearningOutcome, text: str, base_version: int, declaration: bool
) -> Revision:
    """Save the text, then send it for assessment as a new, frozen revision."""
    if not declaration:
        raise DomainError("Tick the declaration to confirm the answer is your own work.")
    text = clean_text(text)
    if not text.strip():
        raise EmptyAnswer("Write your answer before you submit it.")
    answer = Answer.objects.filter(candidate=candidate, learning_outcome=criterion).first()
    if answer is None or answer.text != text or answer.version != base_version:
        answer = draft_save(
            candidate=candidate, criterion=criterion, text=text, base_version=base_version
        )
    answer = _transition(answer, "submit", submitted_at=timezone.now())
    return Revision.objects.create(
        answer=answer,
        number=answer.revisions.count() + 1,
        text=answer.text,
        word_count=count_words(answer.text),
        created_at=answer.submitted_at,
    )


@transaction.atomic
def answer_return(*, answer: Answer, assessor) -> Answer:
    """The assessor sends a submitted answer back for revision."""
    return _transition(answer, "return")


@transaction.atomic
def answer_accept(*, answer: Answer, assessor) -> Answer:
    """The assessor accepts a submitted answer; it is then locked."""
    return _transition(answer, "accept")


@transaction.atomic
def answer_reopen(*, answer: Answer, by, reason: str) -> Answer:
    """Reopen an accepted answer so the candidate can revise it again."""
    if not reason.strip():
        raise DomainError("Give a reason for reopening an accepted answer.")
    return _transition(answer, "reopen")
