"""Deliver the notification outbox: once, or over and over with --loop.

Each due email goes out through EMAIL_BACKEND. A failed attempt is recorded (a
post_office Log row with the error) and retried later, the wait doubling from
RETRY_INTERVAL up to an hour; after MAX_RETRIES retries the email is marked
failed. Run one worker per database: two would send the same email twice.
"""

import signal
import threading
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from post_office.mail import get_queued, send_queued
from post_office.models import STATUS, Email
from post_office.settings import get_retry_timedelta

LONGEST_WAIT = timedelta(hours=1)


def backoff(retries: int) -> timedelta:
    """The wait before retry number `retries` (1, 2, …): doubling, at most an hour."""
    return min(get_retry_timedelta() * 2 ** (max(retries, 1) - 1), LONGEST_WAIT)


def deliver_due(stop: threading.Event | None = None) -> tuple[int, int, int]:
    """Deliver every email that is due, batch by batch. Returns (sent, failed, requeued)."""
    totals = [0, 0, 0]
    while stop is None or not stop.is_set():
        started = timezone.now()
        batch = send_queued(processes=1)
        totals = [total + count for total, count in zip(totals, batch, strict=True)]
        _back_off(since=started)
        if not any(batch) or not get_queued().exists():
            break
    return totals[0], totals[1], totals[2]


def _back_off(*, since) -> None:
    """post_office requeues a failed email after a fixed interval; make it double."""
    requeued = Email.objects.filter(status=STATUS.requeued, last_updated__gte=since)
    for retries in set(requeued.values_list("number_of_retries", flat=True)):
        requeued.filter(number_of_retries=retries).update(
            scheduled_time=timezone.now() + backoff(retries or 1)
        )


class Command(BaseCommand):
    help = "Deliver the queued notifications that are due (once, or with --loop until stopped)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", action="store_true", help="Keep delivering until SIGTERM or Ctrl-C."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="With --loop: seconds to sleep between rounds (default 5).",
        )

    def handle(self, *args, **options):
        if not options["loop"]:
            self._report(*deliver_due())
            return
        stop = threading.Event()
        previous = {
            signum: signal.signal(signum, lambda *_: stop.set())
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        self.stdout.write(f"Delivering notifications every {options['interval']:g} s.")
        try:
            while not stop.is_set():
                close_old_connections()  # survive a database restart between rounds
                try:
                    sent, failed, requeued = deliver_due(stop)
                except Exception as error:  # e.g. the database restarting: try again next round
                    self.stderr.write(f"Delivery round failed: {error!r}")
                else:
                    if sent or failed or requeued:
                        self._report(sent, failed, requeued)
                stop.wait(options["interval"])
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write("Stopped.")

    def _report(self, sent: int, failed: int, requeued: int) -> None:
        self.stdout.write(
            f"Notifications: {sent} sent, {requeued} to retry later, {failed} failed for good."
        )
