"""Notifications go through a durable outbox: the change and its email row commit
together, and the worker (deliver_notifications) delivers them, retrying with
backoff. A mail server that refuses, hangs or is down never fails what a person does.

The mail servers here are real sockets on 127.0.0.1: a closed port (connection
refused), a socket that accepts and never answers, and a tiny SMTP server.
"""

import html
import importlib
import re
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import timezone
from post_office.models import STATUS, Email

from units import services
from units.management.commands.deliver_notifications import backoff
from units.models import Answer
from units.roles import ADMIN

from .conftest import make_user
from .test_settings_and_commands import import_settings

SMTP = "django.core.mail.backends.smtp.EmailBackend"


# --- Mail servers -------------------------------------------------------------------


def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def silent_server():
    """A server that accepts connections (the kernel does) and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's SMTP backend."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 tiny ESMTP")
        while line := self.rfile.readline():
            verb = line.decode().strip().split(" ")[0].upper()
            if verb == "DATA":
                self.reply("354 go ahead")
                data = []
                while (part := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(part)
                self.server.received.append(b"".join(data).decode())
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb in {"EHLO", "HELO", "MAIL", "RCPT", "RSET", "NOOP"}:
                self.reply("250 ok")
            else:
                self.reply("502 not implemented")


@contextmanager
def smtp_server():
    """A real SMTP server in a thread; yields (port, the messages it received)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def smtp(settings):
    """Mail goes out by SMTP to 127.0.0.1, retried after a minute, at most twice."""
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = refused_port()
    settings.EMAIL_TIMEOUT = 1
    settings.POST_OFFICE = {
        **settings.POST_OFFICE,
        "MAX_RETRIES": 2,
        "RETRY_INTERVAL": timedelta(minutes=1),
    }
    return settings


# --- Helpers ------------------------------------------------------------------------


def deliver() -> str:
    out = StringIO()
    call_command("deliver_notifications", stdout=out)
    return out.getvalue()


def later() -> None:
    """Time passes: every email waiting for its retry is due now."""
    Email.objects.filter(status=STATUS.requeued).update(scheduled_time=timezone.now())


def submit_in_page(client, criterion, text):
    """Submit as the drafting page's form does: its hidden fields, the text, the box ticked."""
    kwargs = {"unit": criterion.unit.slug, "code": criterion.code}
    page = client.get(reverse("units:write", kwargs=kwargs)).content.decode()
    form = page[page.index('id="answer-form"') :]
    form = form[: form.index("</form>")]
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form)
    }
    fields.update(text=text, declaration="on")
    return client.post(reverse("units:submit", kwargs=kwargs), fields)


# shared_state: also run with REDIS_URL set (.ci/run): sessions, the cache, the outbox.
pytestmark = [pytest.mark.django_db, pytest.mark.shared_state]


# --- The request never waits for mail -----------------------------------------------


def test_a_submit_succeeds_while_the_mail_server_refuses_and_the_worker_retries(
    client, people, criterion, smtp, django_capture_on_commit_callbacks
):
    client.force_login(people["alice"])
    with django_capture_on_commit_callbacks(execute=True):
        response = submit_in_page(client, criterion, "Submitted while mail is down.")
    assert response.status_code == 302
    assert Answer.objects.get().status == "submitted"
    email = Email.objects.get()
    assert email.to == ["carol@example.com"] and email.status == STATUS.queued
    assert "submitted" in email.subject and "Submitted while mail is down" not in email.subject

    assert "0 sent, 1 to retry later" in deliver()  # no exception: recorded instead
    email.refresh_from_db()
    assert (email.status, email.number_of_retries) == (STATUS.requeued, 1)
    failure = email.logs.get()
    assert failure.status == STATUS.failed
    assert failure.exception_type == "ConnectionRefusedError" and failure.message
    wait = email.scheduled_time - timezone.now()
    assert timedelta(seconds=50) < wait <= timedelta(minutes=1)
    assert "0 sent" in deliver() and email.logs.count() == 1  # not due yet: left alone

    later()
    with smtp_server() as (port, received):
        smtp.EMAIL_PORT = port
        assert "1 sent" in deliver()
    email.refresh_from_db()
    assert email.status == STATUS.sent
    assert [log.status for log in email.logs.order_by("date", "pk")] == [
        STATUS.failed,
        STATUS.sent,
    ]
    [message] = received
    assert "To: carol@example.com" in message and "submitted" in message


def test_a_slow_mail_server_holds_up_neither_the_request_nor_the_worker(
    client, people, criterion, smtp, django_capture_on_commit_callbacks
):
    client.force_login(people["alice"])
    with silent_server() as port:
        smtp.EMAIL_PORT = port
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = submit_in_page(client, criterion, "Submitted while mail hangs.")
        assert response.status_code == 302 and time.monotonic() - started < 0.9

        started = time.monotonic()
        assert "1 to retry later" in deliver()
        took = time.monotonic() - started
    assert smtp.EMAIL_TIMEOUT <= took < smtp.EMAIL_TIMEOUT + 5
    failure = Email.objects.get().logs.get()
    assert failure.status == STATUS.failed and "timed out" in failure.message


def test_retries_back_off_and_a_message_that_keeps_failing_ends_failed(people, criterion, smtp):
    services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="x", base_version=0, declaration=True
    )
    email = Email.objects.get()
    waits = []
    for _ in range(3):
        deliver()
        email.refresh_from_db()
        if email.status == STATUS.requeued:
            waits.append(email.scheduled_time - timezone.now())
            later()
    assert email.status == STATUS.failed and email.number_of_retries == 2
    assert email.logs.filter(status=STATUS.failed).count() == 3
    assert timedelta(seconds=50) < waits[0] <= timedelta(minutes=1)
    assert timedelta(seconds=110) < waits[1] <= timedelta(minutes=2)
    assert "0 sent" in deliver() and email.logs.count() == 3  # failed for good: not retried
    assert backoff(1) == timedelta(minutes=1) and backoff(3) == timedelta(minutes=4)
    assert backoff(30) == timedelta(hours=1)


def test_a_rolled_back_change_leaves_nothing_in_the_outbox(people, criterion):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.draft_submit(
            candidate=people["alice"], criterion=criterion, text="x", base_version=0,
            declaration=True,
        )  # fmt: skip
        assert Email.objects.count() == 1  # written with the change…
        raise RuntimeError
    assert not Email.objects.exists() and not Answer.objects.exists()  # …and gone with it
    deliver()
    assert mail.outbox == []


def test_an_unusable_address_does_not_refuse_the_change(client, people, criterion, caplog):
    people["carol"].email = "carol at example"
    people["carol"].save(update_fields=["email"])
    client.force_login(people["alice"])
    assert submit_in_page(client, criterion, "Still submitted.").status_code == 302
    assert Answer.objects.get().status == "submitted" and not Email.objects.exists()
    assert "invalid addresses" in caplog.text


# --- seed_demo ----------------------------------------------------------------------


def test_seed_demo_with_mail_down_works_and_queues_no_emails(
    content, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--force", stdout=StringIO())
    assert Answer.objects.filter(candidate__username="mina").count() == 4
    assert not Email.objects.exists()  # the demo's invented history sends nothing
    assert "0 sent" in deliver()


# --- The worker ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_loop_delivers_and_stops_cleanly_on_sigterm_or_ctrl_c(people, criterion, signum):
    services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="x", base_version=0, declaration=True
    )
    before = signal.getsignal(signum)
    stopper = threading.Timer(0.5, signal.raise_signal, [signum])
    stopper.start()
    out = StringIO()
    call_command("deliver_notifications", "--loop", "--interval", "0.05", stdout=out)
    stopper.join()
    assert out.getvalue().splitlines()[-1] == "Stopped."
    assert "1 sent" in out.getvalue() and mail.outbox[0].to == ["carol@example.com"]
    assert signal.getsignal(signum) == before


# --- What admins see ----------------------------------------------------------------


def test_staff_in_the_admin_group_see_status_attempts_and_last_error(client, people, criterion):
    Email.objects.create(
        from_email="noreply@localhost",
        to=["carol@example.com"],
        subject="Stuck",
        status=STATUS.requeued,
        number_of_retries=1,
    ).logs.create(status=STATUS.failed, exception_type="ConnectionRefusedError", message="nope")
    ada = make_user("ada", ADMIN, is_staff=True)
    client.force_login(ada)
    listing = client.get("/admin/post_office/email/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "attempts" in page.lower() and "nope" in page and "requeued" in page
    email = Email.objects.get()
    detail = client.get(f"/admin/post_office/email/{email.pk}/change/")
    assert detail.status_code == 200 and "ConnectionRefusedError" in detail.content.decode()
    # Read only: no edits, no requeue for the Admin group (superusers may).
    assert client.post(f"/admin/post_office/email/{email.pk}/change/", {}).status_code == 403
    assert "Queue the selected emails again" not in page


def test_the_migration_gives_existing_admin_groups_the_outbox_permissions(db):
    migration = importlib.import_module("units.migrations.0009_notification_admin_view")
    group, _ = Group.objects.get_or_create(name=ADMIN)
    group.permissions.remove(*Permission.objects.filter(content_type__app_label="post_office"))
    state = MigrationLoader(connection).project_state(("units", migration.__name__.split(".")[-1]))
    migration.add_permissions(state.apps, None)
    assert {"view_email", "view_log"} <= set(
        group.permissions.filter(content_type__app_label="post_office").values_list(
            "codename", flat=True
        )
    )


# --- Settings -----------------------------------------------------------------------


def test_mail_settings_come_from_the_environment():
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [
            sys.executable,
            "-c",
            "import nvqbank.settings as s; print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS,"
            " s.EMAIL_TIMEOUT, s.EMAIL_HOST_USER, s.POST_OFFICE['MAX_RETRIES'])",
        ],
        cwd=django_settings.BASE_DIR,
        env={
            "DEBUG": "1",
            "PATH": "/usr/bin:/bin",
            "EMAIL_HOST": "smtp.internal",
            "EMAIL_PORT": "587",
            "EMAIL_USE_TLS": "1",
            "EMAIL_HOST_USER": "nvq",
            "EMAIL_MAX_RETRIES": "3",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == ["smtp.internal", "587", "True", "10", "nvq", "3"]
    both = import_settings(DEBUG="1", EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert both.returncode != 0 and "not both" in both.stderr


def test_a_password_reset_with_the_mail_server_down_is_not_an_error_page(client, people, smtp):
    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 302 and not Email.objects.exists()  # not in the outbox
