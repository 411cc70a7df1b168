"""Issue 10: malformed requests, client addresses behind a proxy, privileges in the
admin, memory held by the preview cache, and text that could reorder a page."""

import re
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from units import markdown, services
from units.models import Comment, SecurityEvent
from units.roles import ADMIN, ASSESSOR

from .conftest import JSON, make_user

pytestmark = pytest.mark.django_db

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


# --- 4. Malformed requests ------------------------------------------------------------


def csrf_client():
    """A browser-like client: CSRF enforced, with the cookie and token of the sign-in page."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    page = client.get(reverse("login")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return client, token


@pytest.mark.parametrize("charset", ["latin-1", "utf-16"])
def test_a_form_in_another_charset_is_a_400_with_our_page(charset):
    client, token = csrf_client()
    body = f"csrfmiddlewaretoken={token}&username=alice&password=x".encode()
    content_type = f"application/x-www-form-urlencoded; charset={charset}"
    response = client.post(reverse("login"), body, content_type=content_type)
    assert response.status_code == 400
    assert "That request could not be understood" in response.content.decode()
    as_json = client.post(reverse("login"), body, content_type=content_type, **JSON)
    assert as_json.status_code == 400 and as_json.json()["error"] == "bad_request"
    # Not only on a page that reads the form: a 404 reads nothing either.
    missing = client.post("/no/such/page/", body, content_type=content_type)
    assert missing.status_code == 404 and "Page not found" in missing.content.decode()


def test_a_disallowed_host_is_a_400_with_our_page():
    client = Client(raise_request_exception=False)
    response = client.get(reverse("login"), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "That request could not be understood" in response.content.decode()
    as_json = client.get(reverse("login"), HTTP_HOST="evil.example", **JSON)
    assert as_json.status_code == 400 and as_json.json()["error"] == "bad_request"


@pytest.mark.parametrize("name", ["400.html", "403.html", "404.html", "500.html", "403_csrf.html"])
def test_error_pages_render_without_a_user(name):
    request = RequestFactory().get("/")  # no middleware ran: no request.user
    html = render_to_string(name, request=request)
    assert "NVQ Answer Bank" in html and "Sign out" not in html


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.fixture
def gunicorn(tmp_path):
    """The app in a real gunicorn on a free port, with its own SQLite database."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    bin_dir = f"{sys.prefix}/bin"
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=settings.BASE_DIR, env=env, check=True,
    )  # fmt: skip
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - gunicorn from our own environment
        [f"{bin_dir}/gunicorn", "nvqbank.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_real_server_answers_malformed_requests_with_400(gunicorn):
    page = raw_request(gunicorn, b"GET /accounts/login/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
    cookie = re.search(rb"csrftoken=([^;]+)", page).group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = b"csrfmiddlewaretoken=" + token + b"&username=alice&password=x"
    for host in [b"127.0.0.1", b"evil.example"]:
        answer = raw_request(
            gunicorn,
            b"POST /accounts/login/ HTTP/1.0\r\nHost: " + host + b"\r\n"
            b"Cookie: csrftoken=" + cookie + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded; charset=utf-16\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body,
        )
        assert answer.startswith(b"HTTP/1.0 400"), answer[:200]
        assert b"That request could not be understood" in answer


# --- 5. Client addresses behind a proxy -------------------------------------------------


def sign_in(client, username, password, forwarded_for=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_behind_a_proxy_a_lockout_is_per_real_client(client, people, settings):
    settings.PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "alice", "wrong", forwarded_for="203.0.113.5")
    assert sign_in(client, "alice", "pw-alice", forwarded_for="203.0.113.5").status_code == 429
    # A client that put an address of its own in front is still the same client.
    forged = "198.51.100.99, 203.0.113.5"
    assert sign_in(client, "alice", "pw-alice", forwarded_for=forged).status_code == 429
    # Alice at another address, through the same proxy, is not locked out.
    assert sign_in(client, "alice", "pw-alice", forwarded_for="198.51.100.7").status_code == 302
    events = SecurityEvent.objects.order_by("created_at", "id")
    assert {event.ip_address for event in events} == {"203.0.113.5", "198.51.100.7"}
    assert events.last().ip_address == "198.51.100.7"


def test_without_a_proxy_a_forged_header_cannot_dodge_a_lockout(client, people, settings):
    settings.PROXY_COUNT = 0  # the default: no proxy (this guard passed before the fix too)
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "alice", "wrong", forwarded_for=f"198.51.100.{n}")
    assert sign_in(client, "alice", "pw-alice", forwarded_for="198.51.100.200").status_code == 429
    assert set(SecurityEvent.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_a_proxy_decisions_and_the_audit_record_the_client(
    client, people, criterion, settings
):
    settings.PROXY_COUNT = 1
    answer = services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="x", base_version=0,
        declaration=True,
    ).answer  # fmt: skip
    client.force_login(people["carol"])
    client.post(
        reverse("units:decide", kwargs={"pk": answer.pk}),
        {"outcome": "accepted", "action": "accept"},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert answer.decisions.get().ip_address == "203.0.113.9"
    assert answer.audit_entries.get(action="accept").ip_address == "203.0.113.9"


# --- 6. Privileges in the admin ---------------------------------------------------------


@pytest.fixture
def ada(people):
    """Ada runs the centre's admin: staff, in the Admin group, not a superuser."""
    return make_user("ada", ADMIN, is_staff=True)


def change_url(person):
    return reverse("admin:auth_user_change", args=[person.pk])


def change_data(person, **changes):
    """What the admin's change form posts for `person`, with `changes`."""
    data = {
        "username": person.username,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "is_active": "on",
        "groups": [group.pk for group in person.groups.all()],
        "user_permissions": [permission.pk for permission in person.user_permissions.all()],
        "date_joined_0": person.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": person.date_joined.strftime("%H:%M:%S"),
        "assessor_assignments-TOTAL_FORMS": "0",
        "assessor_assignments-INITIAL_FORMS": "0",
        "assessor_assignments-MIN_NUM_FORMS": "0",
        "assessor_assignments-MAX_NUM_FORMS": "1000",
        "profile-TOTAL_FORMS": "0",
        "profile-INITIAL_FORMS": "0",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
    }
    if person.is_staff:
        data["is_staff"] = "on"
    if person.is_superuser:
        data["is_superuser"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_an_admin_cannot_make_themselves_superuser(client, ada):
    client.force_login(ada)
    page = client.get(change_url(ada)).content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page  # read-only
    client.post(change_url(ada), change_data(ada, is_superuser="on"))
    ada.refresh_from_db()
    assert not ada.is_superuser


def test_an_admin_cannot_make_someone_staff(client, ada, people):
    client.force_login(ada)
    bob = people["bob"]
    client.post(change_url(bob), change_data(bob, is_staff="on", is_superuser="on"))
    bob.refresh_from_db()
    assert not bob.is_staff and not bob.is_superuser


def test_an_admin_cannot_open_a_superuser(client, ada, people):
    root = people["admin"]
    client.force_login(ada)
    password_url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert client.get(change_url(root)).status_code in (403, 404)
    assert client.get(password_url).status_code in (403, 404)
    refused = client.post(
        password_url, {"password1": "taken-over-2026!", "password2": "taken-over-2026!"}
    )
    assert refused.status_code in (403, 404)
    refused = client.post(change_url(root), change_data(root, first_name="Mallory"))
    assert refused.status_code in (403, 404)
    root.refresh_from_db()
    assert root.check_password("pw-root") and root.first_name == ""


def test_an_admin_cannot_give_a_group_with_more_than_they_hold(client, ada, people):
    powerful = Group.objects.create(name="Powerful")
    powerful.permissions.add(Permission.objects.get(codename="change_group"))
    client.force_login(ada)
    bob = people["bob"]
    for person in (ada, bob):
        groups = [group.pk for group in person.groups.all()] + [powerful.pk]
        response = client.post(change_url(person), change_data(person, groups=groups))
        assert response.status_code == 200  # the form again, with the reason
        assert "Only a superuser can give" in response.content.decode()
        assert not person.groups.filter(name="Powerful").exists()


def test_an_admin_cannot_give_a_permission_they_do_not_hold(client, ada, people):
    change_group = Permission.objects.get(codename="change_group")
    client.force_login(ada)
    response = client.post(change_url(ada), change_data(ada, user_permissions=[change_group.pk]))
    assert "Only a superuser can give" in response.content.decode()
    assert not ada.user_permissions.exists()


def test_an_admin_can_give_roles_and_what_they_hold(client, ada, people):
    newcomer = make_user("newcomer")
    admin_group, assessor = Group.objects.get(name=ADMIN), Group.objects.get(name=ASSESSOR)
    client.force_login(ada)
    response = client.post(
        change_url(newcomer), change_data(newcomer, groups=[assessor.pk, admin_group.pk])
    )
    assert response.status_code == 302
    assert set(newcomer.groups.values_list("name", flat=True)) == {ADMIN, ASSESSOR}


def test_an_admin_cannot_open_someone_holding_more_than_they_could_grant(client, ada):
    holder = make_user("holder")
    holder.user_permissions.add(Permission.objects.get(codename="change_group"))
    client.force_login(ada)
    assert client.get(change_url(holder)).status_code == 403


def test_a_superuser_can_still_do_all_of_it(client, ada, people):
    powerful = Group.objects.create(name="Powerful")
    powerful.permissions.add(Permission.objects.get(codename="change_group"))
    client.force_login(people["admin"])
    groups = [group.pk for group in ada.groups.all()] + [powerful.pk]
    response = client.post(change_url(ada), change_data(ada, is_superuser="on", groups=groups))
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.is_superuser and ada.groups.filter(name="Powerful").exists()
    other = people["admin"].__class__.objects.create_superuser("root2", "r2@example.com", "pw")
    assert client.get(change_url(other)).status_code == 200


# --- 7. Memory held by the preview cache --------------------------------------------------


def test_a_preview_needs_a_role(client, people):
    nobody = make_user("nobody")
    client.force_login(nobody)
    response = client.post(reverse("units:preview"), {"text": "*hi*"}, **JSON)
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    client.force_login(people["alice"])
    response = client.post(reverse("units:preview"), {"text": "*hi*"}, **JSON)
    assert response.status_code == 200 and "<em>hi</em>" in response.json()["html"]


def test_the_markdown_cache_holds_no_more_than_its_bound(monkeypatch):
    markdown.cache.clear()
    monkeypatch.setattr(markdown.cache, "max_bytes", 300_000)  # a small bound, quickly reached
    for n in range(100):
        markdown.render_markdown(f"{n} " + "word " * 2_000)  # ~10 KB each, 20 KB with HTML
        assert markdown.cache.currsize <= 300_000
    assert 10 <= len(markdown.cache) <= 15
    markdown.cache.clear()
    monkeypatch.undo()
    for n in range(20):
        markdown.render_markdown(f"{n} " + "x " * 47_000)  # a 94 KB preview: rendered, not kept
    assert markdown.cache.currsize == 0
    short = "A *model* answer."
    assert markdown.render_markdown(short) is markdown.render_markdown(short)  # kept
    assert 0 < markdown.cache.currsize <= markdown.CACHE_MAX_BYTES


# --- 11. Text that could reorder a page ---------------------------------------------------


def test_a_name_renders_isolated_in_bdi(client, people, criterion):
    alice = people["alice"]
    alice.first_name, alice.last_name = f"Alice{RLO}", "Smith"
    alice.save()
    answer = services.draft_submit(
        candidate=alice, criterion=criterion, text="x", base_version=0, declaration=True
    ).answer
    client.force_login(people["carol"])
    for url in [reverse("units:queue"), reverse("units:review", kwargs={"pk": answer.pk})]:
        page = client.get(url).content.decode()
        page = re.sub(r"<select.*?</select>", "", page, flags=re.S)  # an <option> holds text only
        name = f"Alice{RLO} Smith"
        assert page.count(name) == page.count(f"<bdi>{name}</bdi>") > 0  # every time
    client.force_login(alice)
    assert f"<bdi>Alice{RLO} Smith</bdi>" in client.get(reverse("units:home")).content.decode()


def test_typed_text_is_stored_without_bidi_controls(client, people, criterion):
    answer = services.draft_submit(
        candidate=people["alice"], criterion=criterion, text=f"One. {RLO}Two three.",
        base_version=0, declaration=True,
    ).answer  # fmt: skip
    answer.refresh_from_db()
    assert answer.text == "One. Two three."
    client.force_login(people["carol"])
    client.post(
        reverse("units:comment", kwargs={"pk": answer.pk}),
        {"body": f"Look{BIDI} here", "quote": f"{RLO}Two three.", "quote_start": 5},
    )
    comment = Comment.objects.get()
    assert (comment.body, comment.quote) == ("Look here", "Two three.")
    client.post(
        reverse("units:decide", kwargs={"pk": answer.pk}),
        {"outcome": "accepted", "action": "accept"},
    )
    client.post(reverse("units:reopen", kwargs={"pk": answer.pk}), {"reason": f"Wrong {RLO}date."})
    assert answer.audit_entries.get(action="reopen").note == "Wrong date."


def test_names_typed_in_the_admin_lose_bidi_controls(client, people):
    bob = people["bob"]
    client.force_login(people["admin"])
    client.post(change_url(bob), change_data(bob, first_name=f"Bob{RLO}", last_name=f"{RLO}Ng"))
    bob.refresh_from_db()
    assert (bob.first_name, bob.last_name) == ("Bob", "Ng")


def test_markdown_link_text_cannot_reorder_the_page():
    html = markdown.render_markdown(f"[{RLO}evil.exe](https://example.org) and *{RLO}more*")
    assert not any(control in html for control in BIDI)
    assert "evil.exe</a>" in html
