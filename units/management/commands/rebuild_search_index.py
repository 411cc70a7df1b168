"""Index every criterion, model answer, reading and answer anew.

Run after loaddata (fixtures are saved raw, which the index does not follow);
`make run` does. Safe to run at any time: it is one transaction.
"""

import time

from django.core.management.base import BaseCommand

from units import search


class Command(BaseCommand):
    help = "Rebuild the search index from every criterion, model answer, reading and answer."

    def handle(self, *args, **options):
        started = time.monotonic()
        counts = search.rebuild()
        if options["verbosity"] >= 1:
            summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
            self.stdout.write(
                f"Search index rebuilt in {time.monotonic() - started:.1f} s: {summary}."
            )
