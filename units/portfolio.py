"""A candidate's portfolio as its readers and its exports see it: for each unit, each
criterion with the revision decided on, the comments, the decisions and their
internal verification, the history; and the unit's sign-offs with their events.

The same records draw the portfolio pages, the PDF and the JSON, so what an
external verifier reads offline is what they would read in the bank. A fixed
number of queries, whatever the number of units, answers or revisions: revision
texts are read only for the revisions shown.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch

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
    """The records of `units` (in their order) for the candidate.

    for_candidate: the candidate's own copy: their drafts too, and the assessor's
    comments once a decision is made, as their feedback shows them (units.feedback).
    Anyone else reads what was submitted, and every comment on it."""
    units = list(units)
    records = {unit.pk: UnitRecord(unit=unit) for unit in units}
    by_criterion: dict[int, CriterionRecord] = {}
    for criterion in LearningOutcome.objects.filter(unit__in=units).select_related("unit"):
        record = CriterionRecord(criterion=criterion)
        records[criterion.unit_id].criteria.append(record)
        by_criterion[criterion.pk] = record
    for enrolment in Enrolment.objects.filter(candidate=candidate, unit__in=units):
        records[enrolment.unit_id].enrolled_at = enrolment.enrolled_at
    answers = Answer.objects.filter(candidate=candidate, learning_outcome__unit__in=units)
    if not for_candidate:
        # A draft never submitted is the candidate's alone.
        answers = answers.exclude(submitted_at=None)
    answers = {
        answer.pk: answer
        for answer in answers.defer("text")
        if answer.learning_outcome_id in by_criterion
    }
    by_answer = {}
    for answer in answers.values():
        record = by_criterion[answer.learning_outcome_id]
        record.answer = answer
        by_answer[answer.pk] = record
    _attach_work(by_answer, for_candidate=for_candidate)
    for sign_off in (
        UnitSignOff.objects.filter(candidate=candidate, unit__in=units)
        .select_related("assessor", "countersigned_by")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=SignOffEvent.objects.select_related("actor", "answer__learning_outcome"),
                to_attr="event_list",
            )
        )
        .order_by("-signed_at", "-id")
    ):
        records[sign_off.unit_id].sign_offs.append(sign_off)
    return [records[unit.pk] for unit in units]


def _attach_work(by_answer: dict[int, CriterionRecord], *, for_candidate: bool) -> None:
    """Revisions, decisions (with their verification), comments and history of the
    answers, in four queries, and the texts of the revisions shown in a fifth."""
    if not by_answer:
        return
    ids = list(by_answer)
    revisions = {}
    for revision in Revision.objects.filter(answer_id__in=ids).defer("text"):
        revisions[revision.pk] = revision
        by_answer[revision.answer_id].revisions.append(revision)
    decided = set()
    for decision in Decision.objects.filter(answer_id__in=ids).select_related(
        "assessor", "verification__verifier"
    ):
        decision.revision = revisions[decision.revision_id]
        by_answer[decision.answer_id].decisions.append(decision)
        decided.add(decision.revision_id)
    for entry in AuditEntry.objects.filter(answer_id__in=ids).select_related("actor"):
        entry.revision = revisions.get(entry.revision_id)
        by_answer[entry.answer_id].history.append(entry)
    for comment in Comment.objects.filter(answer_id__in=ids).select_related("author"):
        record = by_answer[comment.answer_id]
        if for_candidate and not (
            comment.revision_id in decided or comment.author_id == record.answer.candidate_id
        ):
            continue  # not yet given: the assessor's comments come with the decision
        comment.revision = revisions[comment.revision_id]
        record.comments.append(comment)
    shown = {}
    for record in by_answer.values():
        record.revision = _shown_revision(record)
        if record.revision is not None:
            shown[record.revision.pk] = record.revision
    for pk, text in Revision.objects.filter(pk__in=list(shown)).values_list("pk", "text"):
        shown[pk].text = text


def _shown_revision(record: CriterionRecord) -> Revision | None:
    """The revision the standing acceptance was made on, else the latest submitted."""
    if not record.revisions:
        return None
    if record.is_accepted:
        for decision in reversed(record.decisions):
            if decision.outcome == Decision.Outcome.ACCEPTED:
                return decision.revision
    return record.revisions[-1]
