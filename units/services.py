"""Every change to a candidate's answer: one function per action, one transaction each.

Views call these with objects already fetched through units.access; the
functions enforce the rules (the state machine on Answer, optimistic versions)
and raise a DomainError subclass for anything the rules do not allow.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import notifications, search, signoff
from .errors import (  # noqa: F401 - the refusals, re-exported for callers of services
    AnswerLocked,
    AnswerTooLong,
    DomainError,
    EmptyAnswer,
    Invalid,
    RateLimited,
    StaleVersion,
    TransitionNotAllowed,
    Unavailable,
    WrongPerson,
    status_details,
)
from .models import Action, Answer, AuditEntry, Comment, Decision, LearningOutcome, Revision
from .text import MAX_ANSWER_CHARS, MAX_COMMENT_CHARS, clean_text, count_words


def _number(n: int) -> str:
    """A count as the reader's language writes it (100,000; 100.000; 100 000)."""
    return number_format(n, force_grouping=True)


def _check_length(text: str) -> None:
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerTooLong(
            ngettext(
                "An answer can be at most %(limit)s character; this one has %(length)s. "
                "Nothing was saved from this change.",
                "An answer can be at most %(limit)s characters; this one has %(length)s. "
                "Nothing was saved from this change.",
                MAX_ANSWER_CHARS,
            )
            % {"limit": _number(MAX_ANSWER_CHARS), "length": _number(len(text))}
        )


def _locked(answer: Answer) -> AnswerLocked:
    if answer.status == Answer.Status.ACCEPTED:
        message = _("This answer has been accepted and can no longer be changed.")
    else:
        message = _("This answer is with your assessor and cannot be changed until it is returned.")
    return AnswerLocked(message, **status_details(answer))


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
        answer = answers.get()
        # An UPDATE sends no signal: the draft is re-indexed here, in its transaction.
        search.index_draft(answer)
        return answer
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
        raise _locked(current)
    if current is not None and current.text == text:
        # The same text is already there: a retry whose first attempt landed
        # (its response was lost), or the same words from another tab.
        return current
    raise StaleVersion(current)


def _transition(
    answer: Answer, action: Action, *, actor, note: str = "", ip: str | None = None, **changes
) -> Answer:
    """Move the answer along the state machine and write the audit entry, or refuse."""
    sources, target = Answer.TRANSITIONS[action]
    now = timezone.now()
    updated = Answer.objects.filter(
        pk=answer.pk, version=answer.version, status__in=sources
    ).update(status=target, version=F("version") + 1, updated_at=now, **changes)
    if not updated:
        answer.refresh_from_db()
        _refuse_unless_allowed(answer, action)
        raise StaleVersion(answer)
    from_status = answer.status
    answer.refresh_from_db()
    AuditEntry.objects.create(
        answer=answer,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=target,
        revision=answer.revisions.order_by("-number").first(),
        note=note,
        ip_address=ip,
        created_at=now,
    )
    return answer


@transaction.atomic
def draft_submit(
    *,
    candidate,
    criterion: LearningOutcome,
    text: str,
    base_version: int,
    declaration: bool,
    ip: str | None = None,
) -> Revision:
    """Save the text, then send it for assessment as a new, frozen revision.

    Sending the same submission again (a double click, a retried request) is not
    an error: it answers with the revision the first one made.
    """
    if not declaration:
        raise Invalid(_("Tick the declaration to confirm the answer is your own work."))
    text = clean_text(text)
    if not text.strip():
        raise EmptyAnswer(_("Write your answer before you submit it."))
    # Concurrent submits of one answer queue here (PostgreSQL row lock; SQLite's
    # IMMEDIATE transactions already serialise writers), so the second one sees
    # what the first did instead of racing it for the revision number.
    answer = (
        Answer.objects.select_for_update()
        .filter(candidate=candidate, learning_outcome=criterion)
        .first()
    )
    if answer is not None and answer.status == Answer.Status.SUBMITTED:
        latest = answer.revisions.order_by("-number").first()
        if latest is not None and latest.text == text:
            return latest
    if answer is None or answer.text != text or answer.version != base_version:
        answer = draft_save(
            candidate=candidate, criterion=criterion, text=text, base_version=base_version
        )
    _refuse_unless_allowed(answer, Action.SUBMIT)
    now = timezone.now()
    revision = Revision.objects.create(
        answer=answer,
        number=answer.revisions.count() + 1,
        text=answer.text,
        word_count=count_words(answer.text),
        created_at=now,
    )
    answer = _transition(answer, Action.SUBMIT, actor=candidate, ip=ip, submitted_at=now)
    notifications.notify_submitted(answer, revision)
    return revision


def _latest_revision(answer: Answer) -> Revision:
    revision = answer.revisions.order_by("-number").first()
    if revision is None:
        raise Invalid(_("This answer has not been submitted yet."))
    return revision


def _refuse_unless_allowed(answer: Answer, action: Action) -> None:
    if answer.allows(action):
        return
    if action == Action.SUBMIT:
        raise _locked(answer)
    raise TransitionNotAllowed(
        _not_allowed_message(answer.status, action), **status_details(answer)
    )


def _not_allowed_message(status: str, action: Action) -> str:
    """Why `action` is refused for an answer in `status`: one whole sentence per case
    (submitting is refused by _locked)."""
    Status = Answer.Status
    if action == Action.RETURN:
        if status == Status.DRAFT:
            return _("A draft cannot be returned: it has not been submitted.")
        if status == Status.NEEDS_REVISION:
            return _("An answer that needs revision cannot be returned.")
        if status == Status.ACCEPTED:
            return _("This answer is already accepted, so it cannot be returned.")
        return _("This answer cannot be returned now.")
    if action == Action.ACCEPT:
        if status == Status.DRAFT:
            return _("A draft cannot be accepted: it has not been submitted.")
        if status == Status.NEEDS_REVISION:
            return _("An answer that needs revision cannot be accepted.")
        if status == Status.ACCEPTED:
            return _("This answer is already accepted.")
        return _("This answer cannot be accepted now.")
    if action == Action.REOPEN:
        if status == Status.DRAFT:
            return _("A draft cannot be reopened: it has not been submitted.")
        if status == Status.SUBMITTED:
            return _("A submitted answer cannot be reopened: it is open for review.")
        if status == Status.NEEDS_REVISION:
            return _("An answer that needs revision cannot be reopened.")
        return _("This answer cannot be reopened now.")
    return _("This answer cannot be submitted now.")


def _decide(
    answer: Answer, action: Action, outcome: str, *, assessor, reason: str = "", ip: str | None
) -> Answer:
    _refuse_unless_allowed(answer, action)
    revision = _latest_revision(answer)
    answer = _transition(answer, action, actor=assessor, note=reason, ip=ip)
    decision = Decision.objects.create(
        answer=answer,
        revision=revision,
        assessor=assessor,
        outcome=outcome,
        reason=reason,
        ip_address=ip,
    )
    notifications.notify_decision(answer, decision)
    return answer


@transaction.atomic
def answer_return(*, answer: Answer, assessor, ip: str | None = None) -> Answer:
    """Send a submitted answer back for revision: only with feedback to act on."""
    _refuse_unless_allowed(answer, Action.RETURN)
    revision = _latest_revision(answer)
    if not revision.comments.exclude(author=answer.candidate).exists():
        raise Invalid(
            _(
                "Add at least one comment on this revision before returning it, "
                "so the candidate knows what to change."
            )
        )
    return _decide(answer, Action.RETURN, Decision.Outcome.NEEDS_REVISION, assessor=assessor, ip=ip)


@transaction.atomic
def answer_accept(*, answer: Answer, assessor, ip: str | None = None) -> Answer:
    """Accept a submitted answer; it is then locked."""
    return _decide(answer, Action.ACCEPT, Decision.Outcome.ACCEPTED, assessor=assessor, ip=ip)


@transaction.atomic
def answer_reopen(*, answer: Answer, by, reason: str, ip: str | None = None) -> Answer:
    """Reopen an accepted answer so the candidate can revise it again."""
    _refuse_unless_allowed(answer, Action.REOPEN)
    reason = clean_text(reason).strip()
    if not reason:
        raise Invalid(_("Give a reason for reopening an accepted answer."))
    answer = _decide(
        answer, Action.REOPEN, Decision.Outcome.REOPENED, assessor=by, reason=reason, ip=ip
    )
    # The unit is no longer complete: its sign-off, if any, is withdrawn on record.
    signoff.withdraw_for_reopen(answer, by=by, reason=reason, ip=ip)
    return answer


@transaction.atomic
def comment_add(
    *, answer: Answer, author, body: str, quote: str = "", quote_start: int | None = None
) -> Comment:
    """Comment on the answer's latest submitted revision, on the whole or on a passage.

    The passage is located in the revision's text: at quote_start if it is there
    (the assessor's selection), otherwise at its first occurrence.
    """
    body = clean_text(body).strip()
    if not body:
        raise Invalid(_("Write a comment first."))
    if len(body) > MAX_COMMENT_CHARS:
        raise AnswerTooLong(
            ngettext(
                "A comment can be at most %(limit)s character.",
                "A comment can be at most %(limit)s characters.",
                MAX_COMMENT_CHARS,
            )
            % {"limit": _number(MAX_COMMENT_CHARS)}
        )
    revision = _latest_revision(answer)
    if author.pk == answer.candidate_id and not answer.decisions.exists():
        raise TransitionNotAllowed(_("You can reply once your assessor has given feedback."))
    if not answer.can_be_commented:
        raise TransitionNotAllowed(
            _("This answer has been accepted: reopen it before commenting on it again.")
        )
    start = end = None
    quote = clean_text(quote)
    if quote.strip():
        if (
            quote_start is not None
            and revision.text[quote_start : quote_start + len(quote)] == quote
        ):
            start = quote_start
        else:
            found = revision.text.find(quote)
            if found < 0:
                raise Invalid(
                    _("The quoted passage is not in the submitted revision: select it again.")
                )
            start = found
        end = start + len(quote)
    else:
        quote = ""
    return Comment.objects.create(
        answer=answer,
        revision=revision,
        author=author,
        body=body,
        quote=quote,
        quote_start=start,
        quote_end=end,
    )
