"""The mail server is down: in a real browser against the live server, a candidate
still submits and sees the success message; the email waits in the outbox."""

import socket

import pytest
from playwright.sync_api import expect
from post_office.models import STATUS, Email

from units.models import Answer

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail_down(settings):
    """SMTP to a port on 127.0.0.1 where nothing listens: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2


def test_a_candidate_submits_while_the_mail_server_is_down(mail_down, site, page):
    sign_in(page, site, "jelena")
    page.goto(f"{site}/units/f3/criteria/3.5/write/")
    page.fill("#answer-text", "Submitted while the mail server is down.")
    page.check("#declaration")
    page.click("button:has-text('Submit for assessment')")
    expect(page.locator(".alert-success")).to_contain_text("submitted for assessment")
    expect(page.locator("#answer-status")).to_have_text("Submitted")
    assert Answer.objects.get(candidate__username="jelena").status == "submitted"
    # The email to her assessors waits in the outbox for the worker.
    queued = Email.objects.filter(status=STATUS.queued)
    assert sorted(address for email in queued for address in email.to) == [
        "amara@example.com",
        "ben@example.com",
    ]
