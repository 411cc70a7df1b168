"""The worst case of the revision diff (make bench): two answers of the longest
allowed length, compared on the candidate's revisions page and on the assessor's
review page. Made in a transaction that is rolled back, so nothing is left behind.
"""

import json
import random
import statistics
import string
import time

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from units import services
from units.models import Assignment, Enrolment, LearningOutcome, Unit
from units.roles import ASSESSOR, CANDIDATE, ensure_roles
from units.text import MAX_ANSWER_CHARS

from ...generate import WORDS


def prose(rng: random.Random, chars: int) -> str:
    """Sentences of common words and rarer made-up ones, in paragraphs."""
    words, length = [], 0
    while length < chars:
        word = (
            rng.choice(WORDS)
            if rng.random() < 0.5
            else "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10)))
        )
        word += rng.choice(["."] + [""] * 9) + rng.choice(["\n\n"] + [""] * 80)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:chars]


def every_nth_word_changed(text: str, n: int) -> str:
    return " ".join(w.upper() if i % n == 0 else w for i, w in enumerate(text.split(" ")))


class Command(BaseCommand):
    help = "Time the revisions compare and the review page on two 100,000-character revisions."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=10)

    def handle(self, *args, **options):
        rng = random.Random(2026)  # noqa: S311 - synthetic data, not security
        old = prose(rng, MAX_ANSWER_CHARS)
        cases = {
            "totally different": prose(rng, MAX_ANSWER_CHARS),
            "every 7th word changed": every_nth_word_changed(old, 7),
        }
        results = {}
        for name, new in cases.items():
            with transaction.atomic():
                results[name] = self._measure(old, new, options["requests"])
                transaction.set_rollback(True)
        self.stdout.write(json.dumps(results))

    def _measure(self, old: str, new: str, count: int) -> dict:
        ensure_roles()
        # Published, and the candidate enrolled on it: only then are its answers shown.
        unit = Unit.objects.create(
            code="BENCH-DIFF",
            slug="bench-diff",
            title="Diff benchmark",
            published_at=timezone.now(),
        )
        criterion = LearningOutcome.objects.create(
            unit=unit, code="1.1", outcome="LO1", question="Q?"
        )
        candidate = _person("bench-diff-candidate", CANDIDATE)
        assessor = _person("bench-diff-assessor", ASSESSOR)
        Assignment.objects.create(candidate=candidate, assessor=assessor)
        Enrolment.objects.create(candidate=candidate, unit=unit, enrolled_at=timezone.now())
        first = services.draft_submit(
            candidate=candidate, criterion=criterion, text=old, base_version=0, declaration=True
        )
        services.comment_add(answer=first.answer, author=assessor, body="Again, please.")
        answer = services.answer_return(answer=first.answer, assessor=assessor)
        services.draft_submit(
            candidate=candidate,
            criterion=criterion,
            text=new,
            base_version=answer.version,
            declaration=True,
        )
        measured = {}
        for page, user, url in [
            (
                "compare",
                candidate,
                reverse("units:revisions", kwargs={"pk": answer.pk}) + "?a=1&b=2",
            ),
            ("review", assessor, reverse("units:review", kwargs={"pk": answer.pk})),
        ]:
            client = Client()
            client.force_login(user)
            timings = []
            for _ in range(count + 1):  # the first one warms up
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise CommandError(f"{response.status_code} from the {page} page")
            measured[page] = {
                "p50_ms": round(statistics.median(timings[1:]), 1),
                "max_ms": round(max(timings[1:]), 1),
                "marked": "too many to mark" not in response.content.decode(),
            }
        return measured


def _person(username: str, role: str):
    user = User.objects.create_user(username=username, password=None)
    user.groups.add(Group.objects.get(name=role))
    return user
