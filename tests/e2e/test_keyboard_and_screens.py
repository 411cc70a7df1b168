"""The keyboard alone is enough; Chinese and Korean render; the README's screenshots."""

import os

import pytest
from playwright.sync_api import expect

from units import services
from units.models import Answer

from .conftest import SCREENSHOTS, assert_accessible, cjk_fonts_installed, sign_in, wait_saved

pytestmark = pytest.mark.django_db(transaction=True)

FOCUS_VISIBLE = """() => {
    const style = getComputedStyle(document.activeElement);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    return outline || style.boxShadow !== 'none';
}"""


def tab_to(page, selector, limit=60):
    """Press Tab until the element is focused; it must show where the focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            assert page.evaluate(FOCUS_VISIBLE), f"no visible focus on {selector}"
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def sign_in_by_keyboard(page, site, username):
    page.goto(f"{site}/accounts/login/")
    tab_to(page, "#id_username")
    page.keyboard.type(username)
    tab_to(page, "#id_password")
    page.keyboard.type("demo-pass-2026")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_drafting_submitting_and_reviewing_work_with_the_keyboard_alone(site, open_page):
    candidate = open_page()
    sign_in_by_keyboard(candidate, site, "mina")
    candidate.goto(f"{site}/units/f3/criteria/3.6/write/")
    tab_to(candidate, "#answer-text")
    candidate.keyboard.type("Good service in the public sector saves money and time.")
    tab_to(candidate, "#save-button")
    candidate.keyboard.press("Enter")
    wait_saved(candidate)
    tab_to(candidate, "#declaration")
    candidate.keyboard.press("Space")
    tab_to(candidate, "button.btn-primary[type=submit]")
    candidate.keyboard.press("Enter")
    expect(candidate.locator(".alert-success")).to_contain_text("submitted for assessment")

    assessor = open_page()
    sign_in_by_keyboard(assessor, site, "amara")
    assessor.goto(f"{site}/review/")
    answer = Answer.objects.get(candidate__username="mina", learning_outcome__code="3.6")
    tab_to(assessor, f"table a[href='/review/{answer.pk}/']")
    with assessor.expect_navigation():
        assessor.keyboard.press("Enter")
    tab_to(assessor, "#comment-form [name=body]")
    assessor.keyboard.type("Which money, and whose time?")
    tab_to(assessor, "#comment-form [name=quote]")
    assessor.keyboard.type("saves money and time")
    tab_to(assessor, "#comment-form button[type=submit]")
    with assessor.expect_navigation():
        assessor.keyboard.press("Enter")
    expect(assessor.locator("#revision-text mark.passage")).to_have_text("saves money and time")
    tab_to(assessor, "input[value=return]")
    assessor.keyboard.press("Space")
    tab_to(assessor, "#decision button[type=submit]")
    assessor.keyboard.press("Enter")
    expect(assessor.locator(".alert-success")).to_contain_text("needs revision")
    answer.refresh_from_db()
    assert answer.status == "needs_revision"


def screenshot(page, name):
    """Into docs/screenshots with UPDATE_SCREENSHOTS=1 (make screenshots), else a temp dir."""
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else None
    if folder is None:
        return page.screenshot(full_page=True)
    folder.mkdir(parents=True, exist_ok=True)
    return page.screenshot(path=folder / f"{name}.png", full_page=True)


def test_chinese_and_korean_render_and_the_readme_screenshots(site, open_page):
    if not cjk_fonts_installed():
        reason = "no CJK font (apt-get install fonts-noto-cjk): Chinese and Korean would be boxes"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)

    mina = open_page(viewport={"width": 1400, "height": 1000})
    sign_in(mina, site, "mina")
    mina.goto(f"{site}/units/f3/criteria/3.4/write/?lang=ko")
    expect(mina.locator("#model-answer article")).to_have_attribute("lang", "ko")
    family = mina.evaluate(
        "getComputedStyle(document.querySelector('#model-answer article')).fontFamily"
    )
    assert "Noto Sans CJK KR" in family
    screenshot(mina, "drafting-korean")

    mina.goto(f"{site}/progress/")
    screenshot(mina, "progress")

    amara = open_page(viewport={"width": 1400, "height": 1000})
    sign_in(amara, site, "amara")
    returned = Answer.objects.get(candidate__username="mina", learning_outcome__code="3.2")
    amara.goto(f"{site}/review/{returned.pk}/?lang=ko")
    expect(amara.locator("#revision-text mark.passage")).to_be_visible()
    screenshot(amara, "review-highlight")

    # Mina revises 3.2: the review page shows what changed as running text.
    services.draft_submit(
        candidate=returned.candidate, criterion=returned.learning_outcome,
        text=returned.text.replace(
            "We have fewer staff, which means longer waits.",
            "We have fewer staff, so customers wait longer: last winter our phone queue "
            "doubled, and we added a call-back list.",
        ),
        base_version=returned.version, declaration=True,
    )  # fmt: skip
    amara.goto(f"{site}/review/{returned.pk}/")
    expect(amara.locator(".diff ins").first).to_be_visible()
    amara.locator("#changes-heading").scroll_into_view_if_needed()
    screenshot(amara, "review-diff")
    amara.goto(f"{site}/review/?status=all")
    screenshot(amara, "queue")

    mina.goto(f"{site}/units/f3/criteria/3.1/write/")
    expect(mina.locator("#answer-text")).to_have_count(0)
    screenshot(mina, "drafting-accepted")

    wei = open_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(wei, site, "wei")
    wei.goto(f"{site}/units/a-601-2550/criteria/6.2/write/?lang=zh-Hans")
    wei.fill("#answer-text", "We collect feedback with a suggestion box and a yearly survey.")
    wait_saved(wei)
    expect(wei.locator("#model-answer article")).to_have_attribute("lang", "zh-Hans")
    assert "Noto Sans CJK SC" in wei.evaluate(
        "getComputedStyle(document.querySelector('#model-answer article')).fontFamily"
    )
    # On a phone, one at a time: the switch shows the model answer in place of the editor.
    expect(wei.locator("#model-answer article")).to_be_hidden()
    wei.get_by_role("button", name="Model answer").click()
    expect(wei.locator("#model-answer article")).to_be_visible()
    expect(wei.locator("#answer-text")).to_be_hidden()
    assert_accessible(wei)
    screenshot(wei, "drafting-phone")
