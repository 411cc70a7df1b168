import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_sign_in_and_out(client, people):
    assert "Sign in" in client.get(reverse("login")).content.decode()
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    assert "My progress" in client.get("/").content.decode()
    client.post(reverse("logout"))
    assert "My progress" not in client.get("/").content.decode()


def test_wrong_password_is_refused_with_a_message(client, people):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def without_csrf_tokens(response) -> str:
    """The page with its CSRF tokens blanked: each rendering masks the token anew."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def test_password_reset_sends_an_email_and_says_the_same_for_unknown_addresses(client, people):
    known = client.post(reverse("password_reset"), {"email": "alice@example.com"}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert without_csrf_tokens(known) == without_csrf_tokens(unknown)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]


def test_password_change(client, people):
    client.force_login(people["alice"])
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-alice",
            "new_password1": "a-much-better-pass-42",
            "new_password2": "a-much-better-pass-42",
        },
    )
    assert response.status_code == 302
    people["alice"].refresh_from_db()
    assert people["alice"].check_password("a-much-better-pass-42")


def test_signed_in_again_page(client, people):
    client.force_login(people["alice"])
    assert "signed in again" in client.get(reverse("signed_in_again")).content.decode()
