"""Deliver the notification outbox: once, or over and over with --loop.

Each due email goes out through EMAIL_BACKEND. A failed attempt is recorded (a
post_office Log row with the error) and retried later, the wait doubling from
RETRY_INTERVAL up to an hour; after MAX_RETRIES retries the email is marked
failed.

Any number of workers may run, on any machines, against one PostgreSQL database:
each email is delivered once. A worker claims a batch of due emails in a short
transaction, `SELECT … FOR UPDATE SKIP LOCKED` (rows another worker is claiming
are skipped, not waited for), and moves their scheduled time past the batch's
longest delivery time before committing, so no other worker finds them due while
this one sends. After sending, a sent email gets its own scheduled time back and
a failed one its retry time. A worker that dies mid-batch leaves its claim to
run out: its emails are due again after `claim_length()`, and another worker
sends them (an email the mail server had already accepted would then go twice:
nothing can know). post_office's own `send_queued_mail` command guards with a
lock file, which holds on one machine only: use this command instead.

On SQLite the claim's transaction takes the database's write lock at BEGIN
(IMMEDIATE), so workers on that one machine claim in turn.
"""

import signal
import threading
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import close_old_connections, transaction
from django.utils import timezone
from post_office.mail import _send_bulk, attach_templates, get_queued
from post_office.models import STATUS, Email
from post_office.settings import get_batch_delivery_timeout, get_retry_timedelta

LONGEST_WAIT = timedelta(hours=1)


def backoff(retries: int) -> timedelta:
    """The wait before retry number `retries` (1, 2, …): doubling, at most an hour."""
    return min(get_retry_timedelta() * 2 ** (max(retries, 1) - 1), LONGEST_WAIT)


def claim_length() -> timedelta:
    """How long a claimed batch is out of other workers' reach: post_office gives up
    on a batch after BATCH_DELIVERY_TIMEOUT, and a minute more covers the bookkeeping."""
    return timedelta(seconds=get_batch_delivery_timeout()) + timedelta(minutes=1)


def claim_due() -> list[Email]:
    """Claim a batch of due emails (post_office's own choice: due, not expired, by
    priority, BATCH_SIZE at most) for this worker alone."""
    with transaction.atomic():
        batch = list(get_queued().select_for_update(skip_locked=True))
        if batch:
            Email.objects.filter(pk__in=[email.pk for email in batch]).update(
                scheduled_time=timezone.now() + claim_length()
            )
    # The objects keep the scheduled times they had before the claim.
    return batch


def deliver_batch() -> tuple[int, int, int, int]:
    """Claim and deliver one batch. Returns (claimed, sent, failed, requeued)."""
    batch = claim_due()
    if not batch:
        return 0, 0, 0, 0
    attach_templates(batch)
    # post_office sends the batch (its threads, timeouts, Log rows and retry count).
    sent, failed, requeued = _send_bulk(batch, uses_multiprocessing=False)
    status = dict(Email.objects.filter(pk__in=[e.pk for e in batch]).values_list("pk", "status"))
    now = timezone.now()
    for email in batch:
        if status.get(email.pk) == STATUS.requeued:
            # post_office requeues after a fixed interval; make the wait double.
            email.scheduled_time = now + backoff(email.number_of_retries or 1)
        # A sent or failed email gets back the scheduled time it had (the in-memory
        # value): the claim's time meant nothing to anyone but this worker.
    Email.objects.bulk_update(batch, ["scheduled_time"])
    return len(batch), sent, failed, requeued


def deliver_due(stop: threading.Event | None = None) -> tuple[int, int, int]:
    """Deliver every email that is due, batch by batch. Returns (sent, failed, requeued)."""
    totals = [0, 0, 0]
    while stop is None or not stop.is_set():
        claimed, *counts = deliver_batch()
        if not claimed:
            break
        totals = [total + count for total, count in zip(totals, counts, strict=True)]
    return totals[0], totals[1], totals[2]


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
