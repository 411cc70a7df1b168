"""A candidate whose browser speaks Korean, Serbian or Chinese: signing in, the
units, drafting beside the model answer, the declaration, submitting and reading
the assessor's feedback all read in their language, except the English question,
their own English answer and the assessor's English comment (each tagged lang="en")."""

import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from django.db import OperationalError
from playwright.sync_api import expect

from units.models import Answer

from ..test_i18n import english_left, interface_text
from .conftest import SCREENSHOTS, assert_accessible, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPTS = {"ko": r"[가-힣]", "sr-Cyrl": r"[а-шђјљњћџА-Ш]", "zh-Hans": r"[一-鿿]"}
JOURNEYS = [
    # browser locale, interface tag, candidate, assessor, criterion page, model answer language
    ("ko-KR", "ko", "mina", "amara", "/units/f3/criteria/3.5/", "ko"),
    ("sr-RS", "sr-Cyrl", "jelena", "amara", "/units/f3/criteria/3.6/", "sr-Cyrl"),
    ("zh-CN", "zh-Hans", "wei", "ben", "/units/a-601-2550/criteria/4.1/", "zh-Hans"),
]
WIDE, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}


def shot(page, name):
    """Into docs/screenshots with UPDATE_SCREENSHOTS=1 (make screenshots), else a temp dir."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        folder = SCREENSHOTS
    else:
        folder = Path(tempfile.gettempdir()) / "nvq-screens"
    folder.mkdir(parents=True, exist_ok=True)
    for width, viewport in (("1366", WIDE), ("390", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=folder / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size(WIDE)


def reads_in(page, tag):
    """The page is in the interface language: <html lang>, its script, no English
    outside content tagged with another language."""
    expect(page.locator("html")).to_have_attribute("lang", tag)
    text = interface_text(page.content(), tag)
    assert re.search(SCRIPTS[tag], text), page.url
    assert english_left(text, tag) == [], page.url


def wait_until_stored(username, code, text):
    for _ in range(60):
        answer = Answer.objects.filter(candidate__username=username, learning_outcome__code=code)
        try:
            if answer.filter(text=text).exists():
                return
        except OperationalError:
            pass  # the live server is writing: SQLite's shared test database locks the table
        time.sleep(0.25)
    raise AssertionError(f"{username}'s text never reached the server")


@pytest.mark.parametrize(
    ("locale", "tag", "candidate_name", "assessor_name", "criterion", "answer_language"),
    JOURNEYS,
    ids=[journey[1] for journey in JOURNEYS],
)
def test_a_candidate_works_in_their_own_language(
    site, open_page, locale, tag, candidate_name, assessor_name, criterion, answer_language
):
    code = criterion.rstrip("/").rsplit("/", 1)[1]
    candidate = open_page(locale=locale, viewport=WIDE)
    candidate.goto(f"{site}/accounts/login/")
    reads_in(candidate, tag)
    sign_in(candidate, site, candidate_name)
    reads_in(candidate, tag)  # home: the units
    assert_accessible(candidate)

    candidate.goto(f"{site}{criterion}write/?lang={answer_language}")
    reads_in(candidate, tag)
    expect(candidate.locator("#model-answer article")).to_have_attribute("lang", answer_language)
    expect(candidate.locator("h1 [lang=en]")).not_to_be_empty()
    expect(candidate.locator("#question-translation")).to_have_attribute("lang", answer_language)
    text = "Good teamwork means customers get one clear answer, whoever they ask."
    candidate.fill("#answer-text", text)
    expect(candidate.locator("#word-count")).to_have_text(re.compile(SCRIPTS[tag] + "|12"))
    wait_until_stored(candidate_name, code, text)
    expect(candidate.locator("#save-status")).to_have_text(re.compile(SCRIPTS[tag]))
    assert_accessible(candidate)
    shot(candidate, f"{tag}-drafting")

    candidate.check("#declaration")
    candidate.click("#answer-form button.btn-primary[type=submit]")
    expect(candidate.locator(".alert-success")).to_have_text(re.compile(SCRIPTS[tag]))
    reads_in(candidate, tag)

    assessor = open_page(locale="en-GB", viewport=WIDE)
    sign_in(assessor, site, assessor_name)
    answer = Answer.objects.get(candidate__username=candidate_name, learning_outcome__code=code)
    assessor.goto(f"{site}/review/{answer.pk}/")
    expect(assessor.locator("html")).to_have_attribute("lang", "en-GB")
    assessor.fill("#comment-form [name=body]", "Give an example from your own workplace.")
    assessor.click("button:has-text('Add comment')")
    assessor.check("input[value=return]")
    assessor.click("button:has-text('Record decision')")
    expect(assessor.locator(".alert-success")).to_contain_text("needs revision")

    candidate.goto(f"{site}{criterion}write/")
    reads_in(candidate, tag)
    comment = candidate.locator("#feedback [lang=en]", has_text="own workplace")
    expect(comment.first).to_be_visible()
    expect(candidate.locator("#answer-text")).to_have_attribute("lang", "en")
    assert_accessible(candidate)
    shot(candidate, f"{tag}-feedback")

    candidate.goto(f"{site}/progress/")
    reads_in(candidate, tag)
