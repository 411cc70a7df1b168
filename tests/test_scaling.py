"""Several app servers and several outbox workers on one database (docs/deployment.md).

What one server records, every other server sees: sessions (and their idle expiry),
sign-in lockouts and rate counts live in PostgreSQL or Redis, never in a process's
memory, and each notification is delivered once however many workers run.

"Another server" here is another process: a Python interpreter of its own, with its
own memory (its own local-memory cache), started with the same settings and the same
database (and the same Redis when REDIS_URL is set). These tests need a database two
processes can reach, so they run on PostgreSQL (the PostgreSQL pass of .ci/run) and
are skipped on SQLite, whose test database lives in this process's memory and which
serialises writers anyway: several machines cannot share one SQLite file.
The tests marked `shared_state` also run in .ci/run's Redis pass (REDIS_URL set).
"""

import json
import os
import socketserver
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from post_office import mail as post_office_mail
from post_office.models import STATUS, Email, Log

from units.management.commands.deliver_notifications import deliver_due

from .test_notifications import SMTP, _SMTPHandler
from .test_settings_and_commands import import_settings

pytestmark = pytest.mark.shared_state

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="several servers or workers need a database server they all reach (PostgreSQL); "
    "SQLite is one file on one machine and serialises writers",
)
with_redis = pytest.mark.skipif(
    not django_settings.REDIS_URL,
    reason="REDIS_URL is unset: runs in the Redis pass of .ci/run",
)

SIGNED_IN_PAGE = "/progress/"


# --- Settings ---------------------------------------------------------------------


def settings_in(**env) -> dict:
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [
            sys.executable,
            "-c",
            "import json, nvqbank.settings as s; print(json.dumps({'cache': "
            "s.CACHES['default'], 'sessions': s.SESSION_ENGINE, 'axes': s.AXES_HANDLER}))",
        ],
        cwd=django_settings.BASE_DIR,
        env={**{k: v for k, v in os.environ.items() if k != "REDIS_URL"}, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_redis_url_puts_the_cache_and_sessions_in_redis():
    chosen = settings_in(REDIS_URL="redis://cache.internal:6379/3")
    assert chosen["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert chosen["cache"]["LOCATION"] == "redis://cache.internal:6379/3"
    # Read from Redis, written to the database too: a Redis restart signs nobody out.
    assert chosen["sessions"] == "django.contrib.sessions.backends.cached_db"
    assert chosen["axes"] == "axes.handlers.database.AxesDatabaseHandler"


def test_without_redis_the_embedded_default_is_unchanged():
    chosen = settings_in()
    assert chosen["cache"] == {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    assert chosen["sessions"] == "django.contrib.sessions.backends.db"
    assert chosen["axes"] == "axes.handlers.database.AxesDatabaseHandler"
    # And SQLite, with no server at all.
    assert import_settings(DEBUG="1", DATABASE_URL="").stdout.strip() == (
        "django.db.backends.sqlite3"
    )


# --- Another app server -------------------------------------------------------------

OTHER_SERVER = """
import json, sys, time
import django
django.setup()
from django.test import Client
from django.test.utils import override_settings
import units.middleware
print("ready", flush=True)
plan = json.loads(sys.stdin.readline())
units.middleware.REFRESH_EVERY_SECONDS = plan.get("refresh_every", 60)
with override_settings(**plan.get("settings", {})):
    client = Client()
    if plan.get("sessionid"):
        client.cookies["sessionid"] = plan["sessionid"]
    answers = []
    for method, path, data, at in plan["requests"]:
        if at:
            time.sleep(max(0, at - time.time()))
        response = getattr(client, method)(path, data)
        answers.append({"status": response.status_code, "location": response.get("Location", ""),
                        "at": time.time()})
print(json.dumps(answers), flush=True)
"""


class OtherServer:
    """Another app server: a separate process with this run's settings, the same
    database (and Redis), and memory of its own. It starts (Django's set-up takes a
    second or two) before it is told what to ask, so timings start when it is ready."""

    def __init__(self):
        database = connection.settings_dict
        login = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"postgres://{login}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}",
            "ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": "ERROR",
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", OTHER_SERVER],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def ask(self, plan: dict) -> None:
        self.process.stdin.write(json.dumps(plan) + "\n")
        self.process.stdin.close()

    def answers(self) -> list[dict]:
        killer = threading.Timer(120, self.process.kill)  # never hang the run
        killer.start()
        try:
            output = self.process.stdout.read()
            assert self.process.wait() == 0
        finally:
            killer.cancel()
        return json.loads(output.strip().splitlines()[-1])


def on_other_server(plan: dict) -> list[dict]:
    other = OtherServer()
    other.ask(plan)
    return other.answers()


def sign_in(client, username: str) -> None:
    response = client.post(reverse("login"), {"username": username, "password": f"pw-{username}"})
    assert response.status_code == 302, response.content.decode()[:500]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_session_made_on_one_server_works_on_another_and_sign_out_ends_it_on_both(people):
    here = Client()
    sign_in(here, "alice")
    sessionid = here.cookies["sessionid"].value
    assert here.get(SIGNED_IN_PAGE).status_code == 200
    there = on_other_server(
        {
            "sessionid": sessionid,
            "requests": [
                ["get", SIGNED_IN_PAGE, {}, None],
                ["post", reverse("logout"), {}, None],
            ],
        }
    )
    assert there[0]["status"] == 200  # the other server knows the session
    assert there[1]["status"] == 302
    # Signed out over there, signed out here: the session is gone from the shared stores.
    response = here.get(SIGNED_IN_PAGE)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not Session.objects.filter(session_key=sessionid).exists()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_idle_timeout_slides_and_ends_on_every_server(people, settings, monkeypatch):
    """The idle expiry is the session's own (its database row's expire_date and, with
    Redis, its cache entry's time to live): a request on any server renews it for all,
    and it runs out for all."""
    idle = 4  # seconds, for the test; SESSION_IDLE_MINUTES in production
    settings.SESSION_COOKIE_AGE = idle
    monkeypatch.setattr("units.middleware.REFRESH_EVERY_SECONDS", 0)  # renew on every request
    other = OtherServer()
    here = Client()
    sign_in(here, "alice")  # expires at started + idle, unless renewed
    started = time.time()
    other.ask(
        {
            "sessionid": here.cookies["sessionid"].value,
            "settings": {"SESSION_COOKIE_AGE": idle},
            "refresh_every": 0,
            "requests": [
                # Signed in over there, which renews the expiry to started + 2 + idle.
                ["get", SIGNED_IN_PAGE, {}, started + 2],
                # Nothing anywhere for longer than `idle` after the request below: out.
                ["get", SIGNED_IN_PAGE, {}, started + 5 + idle + 1.5],
            ],
        }
    )
    # Past the expiry the sign-in set, not past the one the other server renewed.
    time.sleep(max(0, started + 5 - time.time()))
    assert here.get(SIGNED_IN_PAGE).status_code == 200  # and renewed again, from here
    first, last = other.answers()
    assert first["status"] == 200 and first["at"] < started + 3
    assert last["status"] == 302 and reverse("login") in last["location"]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_lockout_recorded_on_one_server_refuses_sign_in_on_another(people, settings):
    here = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        here.post(reverse("login"), {"username": "alice", "password": "wrong"})
    there = on_other_server(
        {
            "requests": [
                ["post", reverse("login"), {"username": "alice", "password": "pw-alice"}, None]
            ]
        }
    )
    assert there[0]["status"] == 429  # the right password, refused: locked out everywhere
    # And the other way round: bob locked out over there cannot sign in here.
    on_other_server(
        {
            "requests": [["post", reverse("login"), {"username": "bob", "password": "wrong"}, None]]
            * settings.AXES_FAILURE_LIMIT
        }
    )
    response = here.post(reverse("login"), {"username": "bob", "password": "pw-bob"})
    assert response.status_code == 429


@with_redis
@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_rate_limits_count_across_servers(people, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "preview": "3/m"}
    here = Client()
    sign_in(here, "alice")
    for _ in range(3):
        assert here.post(reverse("units:preview"), {"text": "*hi*"}).status_code == 200
    there = on_other_server(
        {
            "sessionid": here.cookies["sessionid"].value,
            "settings": {"RATE_LIMITS": {**settings.RATE_LIMITS}},
            "requests": [["post", reverse("units:preview"), {"text": "*hi*"}, None]],
        }
    )
    assert there[0]["status"] == 429  # the fourth in the minute, on another server


# --- Sessions in Redis ------------------------------------------------------------


@with_redis
@pytest.mark.django_db
def test_sessions_are_read_from_redis_and_survive_its_restart(client, people):
    sign_in(client, "alice")
    sessionid = client.cookies["sessionid"].value
    assert client.get(SIGNED_IN_PAGE).status_code == 200
    assert cache.has_key(f"django.contrib.sessions.cached_db{sessionid}")
    with CaptureQueriesContext(connection) as queries:
        client.get(SIGNED_IN_PAGE)
    assert not any("django_session" in q["sql"] for q in queries.captured_queries)

    cache.clear()  # what a Redis restart leaves (this Redis keeps nothing on disk)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(SIGNED_IN_PAGE).status_code == 200  # still signed in
    assert any("django_session" in q["sql"] for q in queries.captured_queries)
    assert cache.has_key(f"django.contrib.sessions.cached_db{sessionid}")  # cached again


# --- The outbox under several workers -------------------------------------------------


class _SlowSMTPHandler(_SMTPHandler):
    """The tiny SMTP server, taking a little time over each message, as real ones do:
    workers overlap while they send."""

    def reply(self, line: str) -> None:
        if line.startswith("250 queued"):
            time.sleep(0.01)
        super().reply(line)


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    request_queue_size = 64  # every worker's threads connect at once


@contextmanager
def slow_smtp_server():
    server = _SMTPServer(("127.0.0.1", 0), _SlowSMTPHandler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.received
    finally:
        server.shutdown()
        server.server_close()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_several_workers_deliver_each_notification_exactly_once(settings):
    count, workers = 120, 4
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_TIMEOUT = 5
    settings.POST_OFFICE = {**settings.POST_OFFICE, "BATCH_SIZE": 7}
    for number in range(count):
        post_office_mail.send(
            ["carol@example.com"], "noreply@localhost", subject=f"Notification {number}",
            message="Body", priority="medium",
        )  # fmt: skip
    sent_by = Counter()
    errors = []
    start = threading.Barrier(workers)

    def worker(name: str) -> None:
        try:
            start.wait()  # all at once, each with its own database connection
            sent, failed, requeued = deliver_due()
            sent_by[name] += sent
            assert (failed, requeued) == (0, 0)
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    with slow_smtp_server() as (port, received):
        settings.EMAIL_PORT = port
        threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert not errors
    subjects = Counter(
        line.removeprefix("Subject: ")
        for message in received
        for line in message.splitlines()
        if line.startswith("Subject: ")
    )
    assert subjects == Counter({f"Notification {n}": 1 for n in range(count)})  # each once
    assert sum(sent_by.values()) == count
    assert len([name for name, sent in sent_by.items() if sent]) > 1  # they did share the work
    assert set(Email.objects.values_list("status", flat=True)) == {STATUS.sent}
    assert Log.objects.filter(status=STATUS.sent).count() == count
    # The claims are undone: a sent email keeps the scheduled time it had (none).
    assert not Email.objects.exclude(scheduled_time=None).exists()
