"""Query counts and server-side latency of each key page, in-process (make bench)."""

import json
import statistics
import time

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.template.backends.django import Template as DjangoTemplate
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from units.access import owner_token
from units.models import Answer, Decision, Profile
from units.roles import INTERNAL_VERIFIER, ensure_roles

FLOOR = "floor (Fortunes)"
SIGNED_IN_FLOOR = "signed-in floor (Fortunes, signed in)"


class Split:
    """Where a request's time goes, in-process: waiting on the database (every
    query's execute, the driver included), drawing templates (less the queries run
    from inside them, as a lazy queryset does), and the rest (middleware, sessions,
    building queries and model objects, the view's own code)."""

    def __init__(self):
        self.sql = self.templates = 0.0
        self._drawing = 0
        self._sql_in_templates = 0.0

    def on_query(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.sql += spent
            if self._drawing:
                self._sql_in_templates += spent

    def wrap_render(self, render):
        split = self

        def timed(template, *args, **kwargs):
            split._drawing += 1
            started = time.perf_counter()
            try:
                return render(template, *args, **kwargs)
            finally:
                split._drawing -= 1
                if not split._drawing:
                    split.templates += time.perf_counter() - started

        return timed

    def result(self, count: int, total_ms: float) -> dict:
        sql = self.sql * 1000 / count
        templates = (self.templates - self._sql_in_templates) * 1000 / count
        return {
            "sql_ms": round(sql, 2),
            "templates_ms": round(templates, 2),
            "rest_ms": round(max(total_ms - sql - templates, 0.0), 2),
        }


def key_objects():
    """The same people and objects at every scale: the first candidate and assessor,
    and an internal verifier (made here when the data predates the role)."""
    candidate = User.objects.get(username="candidate0")
    assessor = User.objects.get(username="assessor0")
    answer = (
        Answer.objects.filter(candidate=candidate, status=Answer.Status.NEEDS_REVISION)
        .select_related("learning_outcome__unit")
        .order_by("id")
        .first()
    )
    ensure_roles()
    verifier, _created = User.objects.get_or_create(username="verifier0")
    verifier.groups.add(Group.objects.get(name=INTERNAL_VERIFIER))
    Profile.objects.get_or_create(user=verifier)
    return candidate, assessor, answer, verifier


def last_day() -> str:
    """The period of the generated data's last day, as the sampling page's query."""
    day = timezone.localdate(Decision.objects.latest("created_at").created_at).isoformat()
    return f"date_from={day}&date_to={day}"


def pages(candidate, assessor, answer, verifier):
    criterion = answer.learning_outcome
    portfolio = {"pk": candidate.pk}
    at = {"unit": criterion.unit.slug, "code": criterion.code}
    search = reverse("units:search")
    return [
        # What every page is compared with: Django with nothing of ours, and with a
        # signed-in person (the session, the person and their profile read).
        (FLOOR, None, reverse("benchmark:fortunes")),
        (SIGNED_IN_FLOOR, candidate, reverse("benchmark:fortunes_signed_in")),
        ("home", candidate, reverse("units:home")),
        ("unit", candidate, reverse("units:unit", kwargs={"unit": criterion.unit.slug})),
        ("criterion", candidate, reverse("units:criterion", kwargs=at)),
        ("drafting", candidate, reverse("units:write", kwargs=at)),
        ("progress grid", candidate, reverse("units:progress")),
        ("assessor queue", assessor, reverse("units:queue")),
        ("review", assessor, reverse("units:review", kwargs={"pk": answer.pk})),
        # Quality assurance: the internal verifier's sample of the last 90 days, and a
        # candidate's portfolio as their assessor reads it (each view logged).
        ("sampling", verifier, reverse("units:sample")),
        # A day's decisions, each listed: the whole proposal drawn and a page of rows.
        ("sampling (a day)", verifier, reverse("units:sample") + f"?{last_day()}&show=all"),
        ("portfolio", assessor, reverse("units:portfolio", kwargs=portfolio)),
        (
            "portfolio unit",
            assessor,
            reverse("units:portfolio_unit", kwargs={**portfolio, "unit": criterion.unit.slug}),
        ),
        # Search: common words (the generated text is made of 60), as each role.
        ("search (candidate)", candidate, search + "?q=complaint+procedure"),
        ("search (assessor)", assessor, search + "?q=customer+feedback"),
        ("search (phrase)", assessor, search + "?q=quality+standard+timescale"),
    ]


class Command(BaseCommand):
    help = "Measure each key page: SQL queries and p50/p95 latency; prints JSON."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=200)

    def handle(self, *args, **options):
        candidate, assessor, answer, verifier = key_objects()
        results = {}
        clients = {}
        for name, user, url in pages(candidate, assessor, answer, verifier):
            client = clients.setdefault(user.pk if user else None, Client())
            if user:
                client.force_login(user)
            client.get(url)  # warm: caches, the connection, the session refresh
            results[name] = self._measure(lambda c=client, u=url: c.get(u), options["requests"])
        results["autosave"] = self._autosave(clients[candidate.pk], answer, options["requests"])
        self.stdout.write(json.dumps(results))

    def _measure(self, request, count):
        queries = []

        def count_query(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count_query):
            response = request()
        if response.status_code != 200:
            raise CommandError(f"{response.status_code} from a measured page")
        timings = []
        for _ in range(count):
            started = time.perf_counter()
            request()
            timings.append((time.perf_counter() - started) * 1000)
        # Again, timed part by part: the timers cost a little, so not in the figures above.
        split = Split()
        render = DjangoTemplate.render
        DjangoTemplate.render = split.wrap_render(render)
        try:
            with connection.execute_wrapper(split.on_query):
                started = time.perf_counter()
                for _ in range(count):
                    request()
                total_ms = (time.perf_counter() - started) * 1000 / count
        finally:
            DjangoTemplate.render = render
        return {
            "queries": len(queries),
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(statistics.quantiles(timings, n=20)[18], 2),
            "mean_ms": round(statistics.fmean(timings), 2),
            **split.result(count, total_ms),
        }

    def _autosave(self, client, answer, count):
        criterion = answer.learning_outcome
        url = reverse("units:save", kwargs={"unit": criterion.unit.slug, "code": criterion.code})
        state = {"version": Answer.objects.get(pk=answer.pk).version, "n": 0}

        def save():
            state["n"] += 1
            response = client.post(
                url,
                {
                    "text": f"{answer.text} Saved again ({state['n']}).",
                    "version": state["version"],
                    "owner": owner_token(answer.candidate),
                },
                HTTP_ACCEPT="application/json",
            )
            if response.status_code != 200:
                raise CommandError(f"autosave answered {response.status_code}: {response.content}")
            state["version"] = response.json()["version"]
            return response

        # Warmed as the pages are: the session's idle-timeout refresh, written once a
        # minute, otherwise fell on the counted save at the larger scales (7 queries, not 6).
        save()
        return self._measure(save, count)
