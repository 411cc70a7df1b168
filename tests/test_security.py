import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.views import defaults

from units.models import SecurityEvent

# shared_state: also run with REDIS_URL set (.ci/run): sessions, the cache, the outbox.
pytestmark = [pytest.mark.django_db, pytest.mark.shared_state]


def manage(*args, **env):
    ours = {"SECRET_KEY", "DEBUG", "HTTPS", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_the_deploy_check():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="answerbank.example.org",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "key", ["", "short-key", "django-insecure-" + "x1y2z3" * 10, "a" * 60], ids=str.__len__
)
def test_production_refuses_a_weak_secret_key(key):
    result = manage("check", DEBUG="0", SECRET_KEY=key, ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_every_response_carries_a_strict_content_security_policy(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    for directive in [
        "script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'",
        "frame-ancestors 'none'",
    ]:  # fmt: skip
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_security_headers(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_repeated_failures_lock_the_username_from_that_address(client, people):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "alice", "wrong").status_code == 200
    assert sign_in(client, "alice", "wrong").status_code == 429  # the limit is reached
    locked = sign_in(client, "alice", "pw-alice")  # even the right password, now
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    # Another username from the same address is not locked out.
    assert sign_in(client, "bob", "pw-bob").status_code == 302


def test_a_lockout_ends_after_the_cool_off(client, people):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "alice", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=1))
    assert sign_in(client, "alice", "pw-alice").status_code == 302


def test_sign_in_does_not_say_whether_an_account_exists(client, people):
    def page(username):
        html = sign_in(client, username, "wrong").content.decode().replace(username, "NAME")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html).split("<main")[1]

    assert page("alice") == page("nobody-here")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "alice", "wrong")
        sign_in(client, "nobody-here", "wrong")
    assert (
        sign_in(client, "alice", "x").status_code == sign_in(client, "nobody-here", "x").status_code
    )


@pytest.mark.parametrize(
    "target",
    [
        "https://elsewhere.example",
        "//elsewhere.example",
        "/\\elsewhere.example",
        "javascript:alert(1)",
        "https:elsewhere.example",
    ],  # fmt: skip
)
def test_sign_in_and_out_never_redirect_elsewhere(client, people, target):
    response = client.post(
        reverse("login") + f"?next={target}", {"username": "alice", "password": "pw-alice"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("units:home")
    response = client.post(reverse("logout") + f"?next={target}")
    assert response["Location"] == reverse("units:home")


def test_sign_in_out_and_failures_are_recorded_with_who_when_and_where(client, people):
    sign_in(client, "alice", "wrong")
    sign_in(client, "alice", "pw-alice")
    client.post(reverse("logout"))
    events = list(SecurityEvent.objects.order_by("created_at", "id"))
    assert [(e.kind, e.username, e.ip_address) for e in events] == [
        ("sign_in_failed", "alice", "127.0.0.1"),
        ("signed_in", "alice", "127.0.0.1"),
        ("signed_out", "alice", "127.0.0.1"),
    ]
    assert all(e.created_at for e in events)


def test_decisions_record_where_they_came_from(client, people, criterion):
    from units import services

    answer = services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="x", base_version=0,
        declaration=True,
    ).answer  # fmt: skip
    client.force_login(people["carol"])
    client.post(reverse("units:decide", kwargs={"pk": answer.pk}), {"action": "accept"})
    decision = answer.decisions.get()
    assert (decision.assessor, decision.ip_address) == (people["carol"], "127.0.0.1")
    assert answer.audit_entries.get(action="accept").ip_address == "127.0.0.1"


def test_sign_out_ends_the_session_on_the_server(client, people):
    sign_in(client, "alice", "pw-alice")
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()


def test_an_idle_session_ends(client, people):
    sign_in(client, "alice", "pw-alice")
    # Time passes, through the session engine: its database row and, with REDIS_URL,
    # its cached copy (whose time to live is the same expiry) both run out.
    session = client.session
    session.set_expiry(timezone.now() - timedelta(seconds=1))
    session.save()
    response = client.get(reverse("units:progress"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_idle_timeout_slides_with_use(client, people):
    sign_in(client, "alice", "pw-alice")
    session = client.session
    session["_touched"] = 0  # long ago
    session.save()
    before = Session.objects.get().expire_date
    client.get(reverse("units:progress"))
    assert Session.objects.get().expire_date > before
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60


def test_a_deactivated_account_is_signed_out_everywhere(client, people):
    sign_in(client, "alice", "pw-alice")
    people["alice"].is_active = False
    people["alice"].save()
    response = client.get(reverse("units:progress"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_error_pages_leak_nothing(client):
    page = client.get("/no/such/page/").content.decode()
    assert "Page not found" in page and "urlpatterns" not in page and "Traceback" not in page
    request = RequestFactory().get("/")
    server_error = defaults.server_error(request).content.decode()
    assert "Something went wrong on our side" in server_error
    assert "Traceback" not in server_error and "settings" not in server_error
