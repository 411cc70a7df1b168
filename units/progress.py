"""A candidate's progress: what state each of their answers is in, per unit."""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Max

from .models import Answer

Status = Answer.Status


@dataclass
class UnitProgress:
    total: int
    counts: Counter = field(default_factory=Counter)
    last_activity: object = None

    @property
    def not_started(self) -> int:
        return self.total - sum(self.counts.values())

    @property
    def accepted(self) -> int:
        return self.counts[Status.ACCEPTED]

    @property
    def needs_revision(self) -> int:
        return self.counts[Status.NEEDS_REVISION]

    @property
    def submitted(self) -> int:
        return self.counts[Status.SUBMITTED]

    @property
    def draft(self) -> int:
        return self.counts[Status.DRAFT]


def attach_progress(candidate, units) -> None:
    """Set unit.progress: counts by status (units need with_criteria_count()). One query."""
    summaries = {unit.pk: UnitProgress(total=unit.criteria_count) for unit in units}
    rows = (
        Answer.objects.for_candidate(candidate)
        .values("learning_outcome__unit_id", "status")
        .annotate(n=Count("id"), last=Max("updated_at"))
        .order_by()
    )
    for row in rows:
        summary = summaries.get(row["learning_outcome__unit_id"])
        if summary is None:
            continue
        summary.counts[row["status"]] += row["n"]
        if summary.last_activity is None or row["last"] > summary.last_activity:
            summary.last_activity = row["last"]
    for unit in units:
        unit.progress = summaries[unit.pk]


@dataclass
class Cell:
    criterion: object
    status: Status
    updated_at: object = None
    answer_id: int | None = None


def build_grid(candidate, units, *, submitted_only: bool = False) -> UnitProgress:
    """Set unit.cells (one per criterion, in order) and unit.progress; return the totals.

    units must come with_criteria_count() and with their criteria prefetched. One query.
    submitted_only: for the candidate's readers, to whom a draft never submitted is
    the candidate's alone (it shows as not started).
    """
    answers = Answer.objects.for_candidate(candidate)
    if submitted_only:
        answers = answers.exclude(submitted_at=None)
    answers = {
        answer.learning_outcome_id: answer
        for answer in answers.only("id", "learning_outcome_id", "status", "updated_at")
    }
    totals = UnitProgress(total=0)
    for unit in units:
        unit.progress = UnitProgress(total=unit.criteria_count)
        unit.cells = []
        for criterion in unit.criteria.all():
            answer = answers.get(criterion.pk)
            if answer is None:
                unit.cells.append(Cell(criterion, Status.NOT_STARTED))
                continue
            unit.cells.append(Cell(criterion, Status(answer.status), answer.updated_at, answer.pk))
            unit.progress.counts[answer.status] += 1
            if (
                unit.progress.last_activity is None
                or answer.updated_at > unit.progress.last_activity
            ):
                unit.progress.last_activity = answer.updated_at
        totals.total += unit.progress.total
        totals.counts.update(unit.progress.counts)
        if unit.progress.last_activity and (
            totals.last_activity is None or unit.progress.last_activity > totals.last_activity
        ):
            totals.last_activity = unit.progress.last_activity
    return totals
