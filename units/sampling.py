"""The internal verifier's sample: which assessors' decisions of a period to check.

The plan (units.models.SamplingPlan) asks for a percentage of each assessor's
decisions (rounded up, so every assessor with a decision is sampled), a percentage
of their own for the assessors it names (100: every decision), and, if asked, at
least one decision on every unit. What is already verified counts first; the rest
is proposed so that the sample spreads across candidates, units and criteria, as
the awarding bodies' CAMERA guidance asks: each next decision is the one whose
candidate, then unit, then criterion the sample holds least of. Between equals an
acceptance comes before a return (it is the judgement that counts towards the
qualification), then a fixed scramble of the decision's id decides, so the
proposal is the same on every visit, and not simply the oldest or newest work.

The proposal is drawn from a period's decisions read as plain tuples in one query,
at most settings.SAMPLING_MAX_DECISIONS of them (a longer period is asked to be
narrowed: counted first, on the decisions' own index); the page's filters then only
choose which of them to list.
"""

import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Decision, SamplingPlan, SamplingRule

# The period a sample is drawn from unless the verifier chooses another.
DEFAULT_PERIOD_DAYS = 90


@dataclass(frozen=True, slots=True)
class Sampled:
    """One decision of the period, as the proposal needs it."""

    id: int
    created_at: datetime
    assessor_id: int
    candidate_id: int
    unit_id: int
    criterion_id: int
    criterion_code: str
    outcome: str
    verdict: str | None  # the verification's verdict, None while unverified


@dataclass
class AssessorShare:
    """An assessor's part of the sample: how many decisions, how many the plan asks
    for, how many are verified and how many more are proposed."""

    assessor_id: int
    decisions: int
    percentage: int
    target: int
    verified: int = 0
    proposed: int = 0
    assessor: object = None  # the person, attached by the page


@dataclass
class Sample:
    rows: list[Sampled]
    proposed: set[int]
    shares: list[AssessorShare]
    units: set[int] = field(default_factory=set)
    units_covered: set[int] = field(default_factory=set)
    too_many: bool = False

    def state_of(self, row: Sampled) -> str:
        if row.verdict:
            return "verified"
        return "proposed" if row.id in self.proposed else "not_sampled"


def default_period(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=DEFAULT_PERIOD_DAYS), today


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as aware datetimes: from the start of `start` to the end of `end`."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def period_decisions(verifier, start: date, end: date) -> tuple[list[Sampled], bool]:
    """The period's decisions this verifier may sample, oldest first, and whether
    there were more than a proposal is drawn from (then the list is empty)."""
    since, until = _bounds(start, end)
    limit = settings.SAMPLING_MAX_DECISIONS
    # Counted first on the decisions' own index, at most limit + 1 of them: a period
    # of 400,000 decisions is told to be narrowed in milliseconds, where joining them
    # all took 0.4 s (benchmark scale 1).
    in_period = Decision.objects.assessments().filter(created_at__gte=since, created_at__lt=until)
    if in_period.order_by()[: limit + 1].count() > limit:
        return [], True
    values = list(
        Decision.objects.sampleable_by(verifier)
        .filter(created_at__gte=since, created_at__lt=until)
        .order_by("created_at", "id")
        .values_list(
            "id",
            "created_at",
            "assessor_id",
            "answer__candidate_id",
            "answer__learning_outcome__unit_id",
            "answer__learning_outcome_id",
            "answer__learning_outcome__code",
            "outcome",
            "verification__verdict",
        )[: limit + 1]
    )
    if len(values) > limit:
        return [], True
    return [Sampled(*row) for row in values], False


def _scramble(pk: int) -> int:
    """A fixed, well-spread order of ids (Knuth's multiplicative hash)."""
    return (pk * 2654435761) % 2**32


class _Coverage:
    """How many sampled decisions each candidate, unit and criterion has so far."""

    def __init__(self):
        self.counts = Counter()

    def add(self, row: Sampled) -> None:
        self.counts["c", row.candidate_id] += 1
        self.counts["u", row.unit_id] += 1
        self.counts["k", row.criterion_id] += 1

    def key(self, row: Sampled) -> tuple:
        counts = self.counts
        return (
            counts["c", row.candidate_id],
            counts["u", row.unit_id],
            counts["k", row.criterion_id],
            row.outcome != Decision.Outcome.ACCEPTED,
            _scramble(row.id),
        )


def _pick(need: int, pool: list[Sampled], chosen: set[int], coverage: _Coverage) -> int:
    """Add up to `need` decisions of `pool` to `chosen`, least covered first. Keys only
    grow as the sample does, so a popped key is re-checked and pushed back when stale
    (a lazy heap: n log n, where picking the least each time would be n²)."""
    heap = [(coverage.key(row), row.id, row) for row in pool if row.id not in chosen]
    heapq.heapify(heap)
    picked = 0
    while picked < need and heap:
        key, pk, row = heapq.heappop(heap)
        current = coverage.key(row)
        if current != key:
            heapq.heappush(heap, (current, pk, row))
            continue
        chosen.add(row.id)
        coverage.add(row)
        picked += 1
    return picked


def propose(rows: list[Sampled], plan: SamplingPlan) -> Sample:
    """The plan applied to a period's decisions (the plan's rules prefetched)."""
    verified = {row.id for row in rows if row.verdict}
    chosen = set(verified)
    coverage = _Coverage()
    by_assessor: dict[int, list[Sampled]] = defaultdict(list)
    by_unit: dict[int, list[Sampled]] = defaultdict(list)
    for row in rows:
        by_assessor[row.assessor_id].append(row)
        by_unit[row.unit_id].append(row)
        if row.id in chosen:
            coverage.add(row)
    shares = []
    percentages = plan.percentages()
    for assessor_id, decisions in sorted(by_assessor.items()):
        percentage = percentages.get(assessor_id, plan.percentage)
        share = AssessorShare(
            assessor_id=assessor_id,
            decisions=len(decisions),
            percentage=percentage,
            target=SamplingPlan.target(len(decisions), percentage),
            verified=sum(row.id in verified for row in decisions),
        )
        share.proposed = _pick(share.target - share.verified, decisions, chosen, coverage)
        shares.append(share)
    if plan.every_unit:
        covered = {row.unit_id for row in rows if row.id in chosen}
        for unit_id in sorted(set(by_unit) - covered):
            _pick(1, by_unit[unit_id], chosen, coverage)
    proposed = chosen - verified
    # A decision proposed for its unit counts in its assessor's share too.
    extra = Counter(row.assessor_id for row in rows if row.id in proposed)
    for share in shares:
        share.proposed = extra[share.assessor_id]
    return Sample(
        rows=rows,
        proposed=proposed,
        shares=shares,
        units=set(by_unit),
        units_covered={row.unit_id for row in rows if row.id in chosen},
    )


def plan_of(verifier) -> SamplingPlan:
    """The verifier's plan with its rules; until they save one, the default plan
    (10% of each assessor, every unit), not saved: reading the sample writes nothing."""
    plan = SamplingPlan.objects.prefetch_related("rules").filter(verifier=verifier).first()
    return plan or SamplingPlan(verifier=verifier)


@transaction.atomic
def plan_update(
    *, verifier, percentage: int, every_unit: bool, rules: dict[int, int]
) -> SamplingPlan:
    """Set the verifier's plan and its assessors' own percentages (the assessors not
    in `rules` follow the plan's percentage again)."""
    plan, _created = SamplingPlan.objects.select_for_update().get_or_create(verifier=verifier)
    plan.percentage = percentage
    plan.every_unit = every_unit
    plan.updated_at = timezone.now()
    plan.save(update_fields=["percentage", "every_unit", "updated_at"])
    plan.rules.exclude(assessor_id__in=list(rules)).delete()
    for assessor_id, assessor_percentage in rules.items():
        SamplingRule.objects.update_or_create(
            plan=plan, assessor_id=assessor_id, defaults={"percentage": assessor_percentage}
        )
    return plan
