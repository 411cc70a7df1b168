"""Query counts and server-side latency of each key page, in-process (make bench)."""

import json
import statistics
import time

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from units.access import owner_token
from units.models import Answer


def key_objects():
    """The same people and objects at every scale: the first candidate and assessor."""
    candidate = User.objects.get(username="candidate0")
    assessor = User.objects.get(username="assessor0")
    answer = (
        Answer.objects.filter(candidate=candidate, status=Answer.Status.NEEDS_REVISION)
        .select_related("learning_outcome__unit")
        .order_by("id")
        .first()
    )
    return candidate, assessor, answer


def pages(candidate, assessor, answer):
    criterion = answer.learning_outcome
    at = {"unit": criterion.unit.slug, "code": criterion.code}
    search = reverse("units:search")
    return [
        ("home", candidate, reverse("units:home")),
        ("unit", candidate, reverse("units:unit", kwargs={"unit": criterion.unit.slug})),
        ("criterion", candidate, reverse("units:criterion", kwargs=at)),
        ("drafting", candidate, reverse("units:write", kwargs=at)),
        ("progress grid", candidate, reverse("units:progress")),
        ("assessor queue", assessor, reverse("units:queue")),
        ("review", assessor, reverse("units:review", kwargs={"pk": answer.pk})),
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
        candidate, assessor, answer = key_objects()
        results = {}
        clients = {}
        for name, user, url in pages(candidate, assessor, answer):
            client = clients.setdefault(user.pk, Client())
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
        return {
            "queries": len(queries),
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(statistics.quantiles(timings, n=20)[18], 2),
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

        return self._measure(save, count)
