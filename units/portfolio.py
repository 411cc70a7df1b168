"""A candidate's portfolio as its readers and its exports see it: for each unit, each
criterion with the revision decided on, the comments, the decisions and their
internal verification, the history; and the unit's sign-offs with their events.

The same records draw the portfolio pages, the PDF and the JSON, so what an
external verifier reads offline is what they would read in the bank. A fixed
number of queries, whatever the number of units, answers or revisions.
"""

from dataclasses import dataclass, field

from .models import (
    Answer,
    AuditEntry,
    Comment,
    Decision,
    Enrolment,
    LearningOutcome,
    Revision,
    SignOffEvent,
    UnitSignOff,
)

Status = Answer.Status


@dataclass
class CriterionRecord:
    criterion: LearningOutcome
    answer: Answer | None = None
    # The revision accepted, or, while none is, the latest submitted one.
    revision: Revision | None = None
    revisions: list[Revision] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    history: list[AuditEntry] = field(default_factory=list)

    @property
    def status(self) -> Status:
        return Status(self.answer.status) if self.answer else Status.NOT_STARTED

    @property
    def is_accepted(self) -> bool:
        return self.status == Status.ACCEPTED


@dataclass
class UnitRecord:
    unit: object
    enrolled_at: object = None
    criteria: list[CriterionRecord] = field(default_factory=list)
    # Every sign-off of the unit, newest first, each with .event_list.
    sign_offs: list[UnitSignOff] = field(default_factory=list)

    @property
    def standing(self) -> UnitSignOff | None:
        return next((s for s in self.sign_offs if s.withdrawn_at is None), None)

    @property
    def accepted(self) -> int:
        return sum(record.is_accepted for record in self.criteria)

    @property
    def all_accepted(self) -> bool:
        return bool(self.criteria) and self.accepted == len(self.criteria)

    @property
    def is_complete(self) -> bool:
        standing = self.standing
        return standing is not None and standing.is_complete


def unit_records(candidate, units, *, for_candidate: bool = False) -> list[UnitRecord]:
    """The records of `units` (in their order) for the candidate. Units that come with
    their enrolled_at (units.access.get_portfolio_enrolment) save its query.

    for_candidate: the candidate's own copy: their drafts too, and the assessor's
    comments once a decision is made, as their feedback shows them (units.feedback).
    Anyone else reads what was submitted, and every comment on it."""
    units = list(units)
    records = {
        unit.pk: UnitRecord(unit=unit, enrolled_at=getattr(unit, "enrolled_at", None))
        for unit in units
    }
    by_criterion: dict[int, CriterionRecord] = {}
    for criterion in LearningOutcome.objects.filter(unit__in=units).select_related("unit"):
        record = CriterionRecord(criterion=criterion)
        records[criterion.unit_id].criteria.append(record)
        by_criterion[criterion.pk] = record
    if not all(hasattr(unit, "enrolled_at") for unit in units):
        for enrolment in Enrolment.objects.filter(candidate=candidate, unit__in=units):
            records[enrolment.unit_id].enrolled_at = enrolment.enrolled_at
    mine = {"answer__candidate": candidate, "answer__learning_outcome__unit__in": units}
    by_answer: dict[int, CriterionRecord] = {}
    # A submitted answer has revisions: it is read with them. Only the candidate's own
    # copy has drafts never submitted, read on their own.
    revisions = {}
    for revision in Revision.objects.filter(**mine).select_related("answer").defer("answer__text"):
        record = by_criterion.get(revision.answer.learning_outcome_id)
        if record is None:
            continue
        record.answer = revision.answer
        record.revisions.append(revision)
        by_answer[revision.answer_id] = record
        revisions[revision.pk] = revision
    if for_candidate:
        drafts = Answer.objects.filter(
            candidate=candidate, learning_outcome__unit__in=units, submitted_at=None
        ).defer("text")
        for answer in drafts:
            if answer.learning_outcome_id in by_criterion:
                by_criterion[answer.learning_outcome_id].answer = answer
    _attach_work(mine, by_answer, revisions, for_candidate=for_candidate)
    _attach_sign_offs(candidate, units, records)
    return [records[unit.pk] for unit in units]


def _attach_work(mine: dict, by_answer: dict, revisions: dict, *, for_candidate: bool) -> None:
    """Decisions (with their verification), the history and comments of the answers:
    three queries."""
    if not by_answer:
        return
    decided = set()
    for decision in Decision.objects.filter(**mine).select_related(
        "assessor", "verification__verifier"
    ):
        if decision.answer_id not in by_answer:
            continue
        decision.revision = revisions[decision.revision_id]
        by_answer[decision.answer_id].decisions.append(decision)
        decided.add(decision.revision_id)
    for entry in AuditEntry.objects.filter(**mine).select_related("actor"):
        if entry.answer_id in by_answer:
            entry.revision = revisions.get(entry.revision_id)
            by_answer[entry.answer_id].history.append(entry)
    for comment in Comment.objects.filter(**mine).select_related("author"):
        record = by_answer.get(comment.answer_id)
        if record is None:
            continue
        if for_candidate and not (
            comment.revision_id in decided or comment.author_id == record.answer.candidate_id
        ):
            continue  # not yet given: the assessor's comments come with the decision
        comment.revision = revisions[comment.revision_id]
        record.comments.append(comment)
    for record in by_answer.values():
        record.revision = _shown_revision(record)


def _attach_sign_offs(candidate, units, records) -> None:
    """Every sign-off of the units, newest first, with its events: read through the
    events (one query), as every sign-off has one, its signing."""
    sign_offs = {}
    events = SignOffEvent.objects.filter(
        sign_off__candidate=candidate, sign_off__unit__in=units
    ).select_related(
        "sign_off__assessor", "sign_off__countersigned_by", "actor", "answer__learning_outcome"
    )
    for event in events:
        sign_off = sign_offs.setdefault(event.sign_off_id, event.sign_off)
        if not hasattr(sign_off, "event_list"):
            sign_off.event_list = []
        sign_off.event_list.append(event)
    for sign_off in sorted(sign_offs.values(), key=lambda s: (s.signed_at, s.pk), reverse=True):
        records[sign_off.unit_id].sign_offs.append(sign_off)


def _shown_revision(record: CriterionRecord) -> Revision | None:
    """The revision the standing acceptance was made on, else the latest submitted."""
    if not record.revisions:
        return None
    if record.is_accepted:
        for decision in reversed(record.decisions):
            if decision.outcome == Decision.Outcome.ACCEPTED:
                return decision.revision
    return record.revisions[-1]
