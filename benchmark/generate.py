"""Synthetic data at a chosen scale.

At scale 1: 20 units × 15 criteria × 6 languages of model answers, 5,000
candidates, 50 assessors, 150,000 answers (30 a candidate), 450,000 revisions
(3 an answer), 300,000 comments (2 an answer), with the decisions and audit
entries that history implies. Deterministic (a fixed seed), so two runs at one
scale hold the same data.

Scale 10 is some 18 million rows. The catalogue and the people are few and go in
with bulk_create; the work (answers, revisions, comments, decisions, audit) is
made a batch of candidates at a time, so memory stays flat whatever the scale,
with ids given here and written by PostgreSQL's COPY (executemany elsewhere),
some twenty times faster than bulk_create. Texts are drawn from a pool of
sentences made once, rather than word by word: at scale 10 that alone saved
a quarter of an hour.
"""

import io
import random
import sys
import time
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
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
# Candidates whose work is made and written together: about 400,000 rows at a time.
CANDIDATES_A_BATCH = 1000
SENTENCES = 4000


class Progress:
    """A progress bar on stderr: what is being made, how far, how long it took."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.done, self.started = label, total, 0, time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        filled = min(30, int(30 * self.done / max(self.total, 1)))
        sys.stderr.write(
            f"\r  {self.label:<16} [{'#' * filled}{'.' * (30 - filled)}] "
            f"{self.done:>10,}/{max(self.total, self.done):,} "
            f"{time.monotonic() - self.started:7.1f}s"
        )
        if self.done == self.total:
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


class Texts:
    """Texts of about so many words, each a run of sentences from one pool, with its
    word count (the app's own count of each sentence, summed)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pool = []
        for _ in range(SENTENCES):
            words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
            sentence = " ".join(words).capitalize() + "."
            self.pool.append((sentence, count_words(sentence)))

    def __call__(self, words: int) -> tuple[str, int]:
        picked = self.rng.choices(self.pool, k=max(1, round(words / 12)))
        return " ".join(s for s, _ in picked), sum(n for _, n in picked)


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


def _copy_value(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return str(value)


class Table:
    """Rows of one model written as given, ids included: COPY on PostgreSQL."""

    def __init__(self, model, columns: list[str]):
        self.model, self.columns = model, columns
        self.table = model._meta.db_table
        self.next_id = (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        self.written = 0

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                data = io.StringIO("".join("\t".join(map(_copy_value, row)) + "\n" for row in rows))
                cursor.cursor.copy_expert(f"COPY {self.table} ({names}) FROM STDIN", data)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                adapt = connection.ops.adapt_datetimefield_value
                cursor.executemany(
                    f"INSERT INTO {self.table} ({names}) VALUES ({marks})",  # noqa: S608 - our names
                    [[adapt(v) if hasattr(v, "tzinfo") else v for v in row] for row in rows],
                )
        self.written += len(rows)


@transaction.atomic
def generate(scale: float) -> dict[str, int]:
    """Fill an empty database. Returns the row counts and the seconds it took."""
    if Unit.objects.exists():
        raise RuntimeError("The benchmark database is not empty.")
    started = time.monotonic()
    ensure_roles()
    n = sizes(scale)
    rng = random.Random(2026)  # noqa: S311 - synthetic data, not security
    text = Texts(rng)
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
                question=text(14)[0].rstrip(".") + "?",
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
            ModelAnswer(learning_outcome=c, language=lang, question=c.question, body=text(250)[0])
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
    work = Work(n, criteria, assessors, rng, text, now)
    for first in range(0, len(candidates), CANDIDATES_A_BATCH):
        batch = candidates[first : first + CANDIDATES_A_BATCH]
        work.write(list(enumerate(batch, start=first)))
    work.finish()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The ids were given here: the sequences move on past them.
            for statement in connection.ops.sequence_reset_sql(no_style(), Work.MODELS):
                cursor.execute(statement)
            tables = [m._meta.db_table for m in [Unit, LearningOutcome, ModelAnswer, User,
                                                  Enrolment, Assignment, *Work.MODELS]]  # fmt: skip
            cursor.execute(f"ANALYZE {', '.join(tables)}")
    counts = {
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
    return {**counts, "seconds": round(time.monotonic() - started)}


class Work:
    """The candidates' answers with the history the state machine gives them, written
    a batch of candidates at a time: only states the app can reach. Every revision
    but the last was returned (with a comment, as the service requires); the last is
    waiting (submitted), returned or accepted."""

    MODELS = [Answer, Revision, Comment, Decision, AuditEntry]
    STATUSES = (
        [Answer.Status.SUBMITTED] * 25
        + [Answer.Status.NEEDS_REVISION] * 30
        + [Answer.Status.ACCEPTED] * 45
    )
    OUTCOME = {
        Action.RETURN: Decision.Outcome.NEEDS_REVISION,
        Action.ACCEPT: Decision.Outcome.ACCEPTED,
    }

    def __init__(self, n, criteria, assessors, rng, text, now):
        self.n, self.criteria, self.assessors = n, criteria, assessors
        self.rng, self.text, self.now = rng, text, now
        self.progress = Progress("work", n["candidates"])
        self.answers = Table(
            Answer,
            ["id", "candidate_id", "learning_outcome_id", "text", "status", "version",
             "created_at", "updated_at", "submitted_at"],
        )  # fmt: skip
        self.revisions = Table(
            Revision, ["id", "answer_id", "number", "text", "word_count", "created_at"]
        )
        self.comments = Table(
            Comment,
            ["id", "answer_id", "revision_id", "author_id", "body", "quote", "quote_start",
             "quote_end", "created_at"],
        )  # fmt: skip
        self.decisions = Table(
            Decision,
            ["id", "answer_id", "revision_id", "assessor_id", "outcome", "reason", "created_at"],
        )
        self.audit = Table(
            AuditEntry,
            ["id", "answer_id", "actor_id", "action", "from_status", "to_status", "revision_id",
             "note", "created_at"],
        )  # fmt: skip

    def tables(self) -> list[Table]:
        return [self.answers, self.revisions, self.comments, self.decisions, self.audit]

    def finish(self) -> None:
        """What was written, table by table (the bar counts candidates)."""
        sys.stderr.write(
            "  "
            + ", ".join(f"{t.written:,} {t.model._meta.db_table}" for t in self.tables())
            + "\n"
        )

    def write(self, batch: list[tuple[int, User]]) -> None:
        rows = {table: [] for table in self.MODELS}
        for i, candidate in batch:
            for criterion in self._criteria_of(i):
                self._answer(candidate, self.assessors[i % len(self.assessors)], criterion, rows)
        for model, table in zip(self.MODELS, self.tables(), strict=True):
            table.write(rows[model])
        self.progress.advance(len(batch))

    def _criteria_of(self, i: int) -> list:
        per_unit = self.n["criteria_per_unit"]
        first = (i * 2) % (len(self.criteria) // per_unit)
        mine = self.criteria[first * per_unit : (first + 2) * per_unit] or self.criteria[:per_unit]
        return mine[: self.n["answers_per_candidate"]]

    def _answer(self, candidate, assessor, criterion, rows) -> None:
        rng, now, last = self.rng, self.now, self.n["revisions_per_answer"]
        status = rng.choice(self.STATUSES)
        submitted_at = now - timedelta(minutes=rng.randint(1, 60 * 24 * 30))
        answer_id = self.answers.new_id()
        rows[Answer].append(
            (answer_id, candidate.pk, criterion.pk, self.text(120)[0], status, 5,
             now - timedelta(days=60), now - timedelta(minutes=rng.randint(1, 60 * 24 * 30)),
             submitted_at)
        )  # fmt: skip
        for number in range(1, last + 1):
            revision_id = self.revisions.new_id()
            created_at = submitted_at - timedelta(days=3 - number)
            body, words = self.text(100)
            rows[Revision].append((revision_id, answer_id, number, body, words, created_at))
            decided = None
            if number < last or status == Answer.Status.NEEDS_REVISION:
                decided = Action.RETURN
            elif status == Answer.Status.ACCEPTED:
                decided = Action.ACCEPT
            # Returning needs a comment: every revision but a waiting or accepted last one.
            if number <= max(self.n["comments_per_answer"], last - 1) or decided == Action.RETURN:
                rows[Comment].append(
                    (self.comments.new_id(), answer_id, revision_id, assessor.pk,
                     self.text(30)[0], body[:40], 0, 40, created_at + timedelta(hours=2))
                )  # fmt: skip
            source = Answer.Status.DRAFT if number == 1 else Answer.Status.NEEDS_REVISION
            rows[AuditEntry].append(
                (self.audit.new_id(), answer_id, candidate.pk, Action.SUBMIT, source,
                 Answer.TRANSITIONS[Action.SUBMIT][1], revision_id, "", created_at)
            )  # fmt: skip
            if decided:
                decided_at = created_at + timedelta(hours=3)
                rows[Decision].append(
                    (self.decisions.new_id(), answer_id, revision_id, assessor.pk,
                     self.OUTCOME[decided], "", decided_at)
                )  # fmt: skip
                rows[AuditEntry].append(
                    (self.audit.new_id(), answer_id, assessor.pk, decided,
                     Answer.Status.SUBMITTED, Answer.TRANSITIONS[decided][1], revision_id, "",
                     decided_at)
                )  # fmt: skip
