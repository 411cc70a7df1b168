"""Synthetic data at a chosen scale, with bulk inserts.

At scale 1: 20 units × 15 criteria × 6 languages of model answers, 5,000
candidates, 50 assessors, 150,000 answers (30 a candidate), 450,000 revisions
(3 an answer), 300,000 comments (2 an answer), with the decisions and audit
entries that history implies. Deterministic (a fixed seed), so two runs at one
scale hold the same data.
"""

import random
import sys
import time
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.utils import timezone

from units.models import (
    Action,
    Answer,
    Assignment,
    AuditEntry,
    Comment,
    Decision,
    Enrolment,
    LearningOutcome,
    ModelAnswer,
    Profile,
    Revision,
    Unit,
)
from units.roles import ASSESSOR, CANDIDATE, ensure_roles
from units.text import count_words

LANGUAGES = ["sr-Cyrl", "ko", "zh-Hans", "hr", "hu", "pl"]
WORDS = (
    "customer service team quality standard timescale feedback complaint colleague "
    "organisation expectation communication example policy procedure improve monitor "
    "evaluate internal external deliver value problem solution listen respect time "
    "record review support trust promise clear honest because when our we they the "
    "and to of in for with on that this is are be can will should must each every"
).split()
PASSWORD = make_password("bench-pass")  # one hash for every synthetic person
BATCH = 5000


class Progress:
    """A progress bar on stderr: what is being made, how far, how long it took."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.done, self.started = label, total, 0, time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        filled = int(30 * self.done / max(self.total, 1))
        sys.stderr.write(
            f"\r  {self.label:<16} [{'#' * filled}{'.' * (30 - filled)}] "
            f"{self.done:>9,}/{self.total:,} {time.monotonic() - self.started:6.1f}s"
        )
        if self.done >= self.total:
            sys.stderr.write("\n")


def sizes(scale: float) -> dict[str, int]:
    return {
        "units": max(1, round(20 * scale)),
        "criteria_per_unit": 15,
        "candidates": max(2, round(5000 * scale)),
        "assessors": max(1, round(50 * scale)),
        "answers_per_candidate": 30,
        "revisions_per_answer": 3,
        "comments_per_answer": 2,
    }


def _text(rng: random.Random, words: int) -> str:
    sentences, current = [], []
    for _ in range(words):
        current.append(rng.choice(WORDS))
        if len(current) >= rng.randint(8, 16):
            sentences.append(" ".join(current).capitalize() + ".")
            current = []
    if current:
        sentences.append(" ".join(current).capitalize() + ".")
    return " ".join(sentences)


def _bulk(model, objects, label: str, total: int):
    progress = Progress(label, total)
    made, batch = [], []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= BATCH:
            made.extend(model.objects.bulk_create(batch))
            progress.advance(len(batch))
            batch = []
    if batch:
        made.extend(model.objects.bulk_create(batch))
        progress.advance(len(batch))
    return made


@transaction.atomic
def generate(scale: float) -> dict[str, int]:
    """Fill an empty database. Returns the row counts."""
    if Unit.objects.exists():
        raise RuntimeError("The benchmark database is not empty.")
    ensure_roles()
    n = sizes(scale)
    rng = random.Random(2026)  # noqa: S311 - synthetic data, not security
    now = timezone.now()

    units = _bulk(
        Unit,
        (
            Unit(code=f"B{u}", slug=f"b{u}", title=f"Benchmark unit {u}", level=3, published_at=now)
            for u in range(1, n["units"] + 1)
        ),
        "units",
        n["units"],
    )
    criteria = _bulk(
        LearningOutcome,
        (
            LearningOutcome(
                unit=unit,
                code=f"{1 + c // 5}.{c % 5 + 1}",
                outcome=f"LO{1 + c // 5} Understand",
                question=_text(rng, 14).rstrip(".") + "?",
            )
            for unit in units
            for c in range(n["criteria_per_unit"])
        ),
        "criteria",
        n["units"] * n["criteria_per_unit"],
    )
    _bulk(
        ModelAnswer,
        (
            ModelAnswer(
                learning_outcome=c, language=lang, question=c.question, body=_text(rng, 250)
            )
            for c in criteria
            for lang in LANGUAGES
        ),
        "model answers",
        len(criteria) * len(LANGUAGES),
    )

    people = _bulk(
        User,
        (
            User(
                username=f"{role}{i}",
                password=PASSWORD,
                email=f"{role}{i}@example.com",
                first_name=role.title(),
                last_name=str(i),
            )
            for role, count in [("assessor", n["assessors"]), ("candidate", n["candidates"])]
            for i in range(count)
        ),
        "people",
        n["assessors"] + n["candidates"],
    )
    assessors, candidates = people[: n["assessors"]], people[n["assessors"] :]
    Group.objects.get(name=ASSESSOR).user_set.add(*assessors)
    Group.objects.get(name=CANDIDATE).user_set.add(*candidates)
    # Everyone who signs in has a profile (units.roles): their roles are cached by it.
    _bulk(Profile, (Profile(user=person) for person in people), "profiles", len(people))
    _bulk(
        Assignment,
        (
            Assignment(candidate=c, assessor=assessors[i % len(assessors)])
            for i, c in enumerate(candidates)
        ),
        "assignments",
        len(candidates),
    )

    # Each candidate is enrolled on two units and works through their criteria (30 answers).
    def enrolled_units(i):
        first = (i * 2) % len(units)
        return units[first : first + 2] or units[:1]

    _bulk(
        Enrolment,
        (
            Enrolment(candidate=candidate, unit=unit, enrolled_at=now - timedelta(days=90))
            for i, candidate in enumerate(candidates)
            for unit in enrolled_units(i)
        ),
        "enrolments",
        sum(len(enrolled_units(i)) for i in range(len(candidates))),
    )
    per_unit = n["criteria_per_unit"]
    statuses = (
        [Answer.Status.SUBMITTED] * 25
        + [Answer.Status.NEEDS_REVISION] * 30
        + [Answer.Status.ACCEPTED] * 45
    )

    def answers():
        for i, candidate in enumerate(candidates):
            first = (i * 2) % len(units)
            mine = criteria[first * per_unit : (first + 2) * per_unit] or criteria[:per_unit]
            for criterion in mine[: n["answers_per_candidate"]]:
                status = rng.choice(statuses)
                yield Answer(
                    candidate=candidate,
                    learning_outcome=criterion,
                    text=_text(rng, 120),
                    status=status,
                    version=5,
                    created_at=now - timedelta(days=60),
                    updated_at=now - timedelta(minutes=rng.randint(1, 60 * 24 * 30)),
                    submitted_at=now - timedelta(minutes=rng.randint(1, 60 * 24 * 30)),
                )

    total_answers = len(candidates) * n["answers_per_candidate"]
    made = _bulk(Answer, answers(), "answers", total_answers)

    revisions = _bulk(
        Revision,
        (
            Revision(
                answer=a,
                number=r,
                text=text,
                word_count=count_words(text),
                created_at=a.submitted_at - timedelta(days=3 - r),
            )
            for a in made
            for r in range(1, n["revisions_per_answer"] + 1)
            for text in [_text(rng, 100)]
        ),
        "revisions",
        len(made) * n["revisions_per_answer"],
    )
    assessor_of = {c.pk: assessors[i % len(assessors)] for i, c in enumerate(candidates)}
    last = n["revisions_per_answer"]
    _bulk(
        Comment,
        (
            Comment(
                answer=rev.answer,
                revision=rev,
                author=assessor_of[rev.answer.candidate_id],
                body=_text(rng, 30),
                quote=rev.text[:40],
                quote_start=0,
                quote_end=40,
                created_at=rev.created_at + timedelta(hours=2),
            )
            for rev in revisions
            # Returning needs a comment: every revision but a waiting or accepted last one.
            if rev.number <= max(n["comments_per_answer"], last - 1)
            or rev.answer.status == Answer.Status.NEEDS_REVISION
        ),
        "comments",
        len(made) * n["comments_per_answer"],
    )
    # Only states the state machine can reach: every revision but the last was
    # returned; the last is waiting (submitted), returned or accepted.

    def decided_by(revision) -> Action | None:
        if revision.number < last or revision.answer.status == Answer.Status.NEEDS_REVISION:
            return Action.RETURN
        if revision.answer.status == Answer.Status.ACCEPTED:
            return Action.ACCEPT
        return None

    outcome_of = {
        Action.RETURN: Decision.Outcome.NEEDS_REVISION,
        Action.ACCEPT: Decision.Outcome.ACCEPTED,
    }
    decided = [(r, decided_by(r)) for r in revisions if decided_by(r)]
    _bulk(
        Decision,
        (
            Decision(
                answer=r.answer,
                revision=r,
                assessor=assessor_of[r.answer.candidate_id],
                outcome=outcome_of[action],
                created_at=r.created_at + timedelta(hours=3),
            )
            for r, action in decided
        ),
        "decisions",
        len(decided),
    )

    def steps(revision):
        yield (
            revision.answer.candidate,
            Action.SUBMIT,
            Answer.Status.DRAFT if revision.number == 1 else Answer.Status.NEEDS_REVISION,
            0,
        )
        action = decided_by(revision)
        if action:
            yield assessor_of[revision.answer.candidate_id], action, Answer.Status.SUBMITTED, 3

    _bulk(
        AuditEntry,
        (
            AuditEntry(
                answer=r.answer,
                actor=actor,
                action=action,
                from_status=source,
                to_status=Answer.TRANSITIONS[action][1],
                revision=r,
                created_at=r.created_at + timedelta(hours=hours),
            )
            for r in revisions
            for actor, action, source, hours in steps(r)
        ),
        "audit entries",
        len(revisions) + len(decided),
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    return {
        model.__name__: model.objects.count()
        for model in [
            Unit,
            LearningOutcome,
            ModelAnswer,
            User,
            Answer,
            Revision,
            Comment,
            Decision,
            AuditEntry,
        ]
    }
