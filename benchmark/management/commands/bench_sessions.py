"""Signed-in sessions for the load generator: one candidate per connection."""

import json

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string

from units.access import owner_token
from units.models import Answer


class Command(BaseCommand):
    help = "Create signed-in sessions for candidate0…; print what wrk needs as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=16)

    def handle(self, *args, **options):
        sessions = []
        for n in range(options["count"]):
            candidate = User.objects.get(username=f"candidate{n}")
            answer = (
                Answer.objects.filter(candidate=candidate, status__in=Answer.EDITABLE)
                .select_related("learning_outcome__unit")
                .order_by("id")
                .first()
            )
            criterion = answer.learning_outcome
            at = {"unit": criterion.unit.slug, "code": criterion.code}
            client = Client()
            client.force_login(candidate)
            sessions.append(
                {
                    "sessionid": client.cookies["sessionid"].value,
                    "csrf": get_random_string(32),
                    "version": answer.version,
                    "owner": owner_token(candidate),
                    "text": "+".join(answer.text.split()[:60]).replace(".", ""),
                    "save_path": reverse("units:save", kwargs=at),
                    "write_path": reverse("units:write", kwargs=at),
                    "criterion_path": reverse("units:criterion", kwargs=at),
                    # As bench_measure's "search (candidate)": words found in nearly every answer.
                    "search_path": reverse("units:search") + "?q=complaint+procedure",
                }
            )
        self.stdout.write(json.dumps(sessions))
