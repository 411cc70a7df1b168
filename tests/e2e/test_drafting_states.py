"""What the drafting page says is true: of the server, of the editor, of the person.

Two tabs of one answer, a shared computer, the copy kept in the browser, a read-only
answer and the phone's switch between the answer and the model answer.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from units.models import Answer

from .conftest import assert_accessible, sign_in, wait_saved, watch_csp

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_35 = "/units/f3/criteria/3.5/write/"
SAVES = "**/write/save/"
SAVED = re.compile(r"^Saved")
KEPT = "Not saved — kept in this browser"


def status(page):
    return page.locator("#save-status")


def badge(page):
    return page.locator("#answer-status .badge")


def come_back(page):
    """What the browser does when the candidate returns to the tab."""
    page.evaluate("window.dispatchEvent(new Event('focus'))")


def sign_out(page, site):
    page.goto(f"{site}/")
    page.locator("#account-menu").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()


def test_two_tabs_show_what_the_server_holds(site, context):
    a = watch_csp(context.new_page())
    sign_in(a, site, "wei")
    a.goto(f"{site}{WRITE_35}")
    b = watch_csp(context.new_page())
    b.goto(f"{site}{WRITE_35}")
    expect(badge(b)).to_have_text("Not started")

    a.fill("#answer-text", "First words from A.")
    wait_saved(a)
    expect(badge(a)).to_have_text("Draft")
    # B had nothing typed: it takes the saved text, says so, and its badge is true too.
    expect(b.locator("#answer-text")).to_have_value("First words from A.")
    expect(status(b)).to_have_text("Updated with the text saved in another tab")
    expect(badge(b)).to_have_text("Draft")

    # B has typed text its saves cannot deliver when A saves again: both texts at
    # once, and "Yours" follows the typing.
    b.route(SAVES, lambda route: route.abort())
    b.fill("#answer-text", "Words from B.")
    expect(status(b)).to_have_text(KEPT)
    a.fill("#answer-text", "Second words from A.")
    wait_saved(a)
    conflict = b.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict.locator("[data-slot=server-text]")).to_have_text("Second words from A.")
    b.locator("#answer-text").press("End")
    b.locator("#answer-text").type(" More from B.")
    expect(conflict.locator("[data-slot=your-text]")).to_have_text("Words from B. More from B.")
    b.unroute(SAVES)
    conflict.locator("[data-action=keep-mine]").click()
    wait_saved(b)
    assert Answer.objects.get(candidate__username="wei").text == "Words from B. More from B."

    # A never says "Saved" over a text the server no longer holds.
    expect(a.locator("#answer-text")).to_have_value("Words from B. More from B.")
    expect(status(a)).to_have_text("Updated with the text saved in another tab")
    expect(badge(a)).to_have_text("Draft")

    # Typing, then editing back to what the server holds, is "Saved" again.
    editor = a.locator("#answer-text")
    editor.press("End")
    editor.type("!")
    expect(status(a)).to_have_text("Not saved yet")
    editor.press("Backspace")
    expect(status(a)).to_have_text(SAVED)


def test_a_tab_coming_back_learns_what_another_device_saved(site, open_page):
    phone = open_page()
    laptop = open_page()
    for page in (phone, laptop):
        sign_in(page, site, "wei")
        page.goto(f"{site}{WRITE_35}")
    laptop.fill("#answer-text", "Written on the laptop.")
    wait_saved(laptop)

    come_back(phone)
    expect(phone.locator("#answer-text")).to_have_value("Written on the laptop.")
    expect(status(phone)).to_have_text(re.compile("^Updated with the text saved"))
    expect(badge(phone)).to_have_text("Draft")

    # With unsaved text of its own, the tab shows both texts instead.
    phone.route(SAVES, lambda route: route.abort())
    phone.fill("#answer-text", "Typed on the phone.")
    expect(status(phone)).to_have_text(KEPT)
    laptop.fill("#answer-text", "Written on the laptop, then more.")
    wait_saved(laptop)
    come_back(phone)
    expect(phone.locator("#conflict")).to_be_visible()
    expect(phone.locator("#conflict [data-slot=server-text]")).to_have_text(
        "Written on the laptop, then more."
    )


def test_a_page_left_open_for_one_person_never_saves_as_the_next(site, context):
    jelena = watch_csp(context.new_page())
    sign_in(jelena, site, "jelena")
    jelena.goto(f"{site}{WRITE_35}")
    # Her words have not reached the server when she leaves the computer.
    jelena.route(SAVES, lambda route: route.abort())
    jelena.fill("#answer-text", "Jelena's words.")
    expect(status(jelena)).to_have_text(KEPT)

    # Someone else signs her out and signs in as Wei, in the same browser.
    other = watch_csp(context.new_page())
    sign_out(other, site)
    sign_in(other, site, "wei")

    jelena.unroute(SAVES)
    come_back(jelena)
    refused = jelena.locator("#wrong-person")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text("Jelena")
    expect(status(jelena)).to_have_text(KEPT)
    jelena.locator("#answer-text").press("End")
    jelena.locator("#answer-text").type(" And more.")
    jelena.click("#save-button")
    expect(refused).to_be_visible()
    assert not Answer.objects.filter(candidate__username__in=["jelena", "wei"]).exists()

    # Wei's own page of that criterion never offers Jelena's text.
    other.goto(f"{site}{WRITE_35}")
    expect(other.locator("#answer-text")).to_have_value("")
    expect(other.locator("#restore-offer")).to_be_hidden()
    assert "Jelena" not in other.locator("main").inner_text()

    # Jelena signs in again: her page saves her text.
    sign_out(other, site)
    sign_in(other, site, "jelena")
    come_back(jelena)
    wait_saved(jelena)
    expect(refused).to_be_hidden()
    assert Answer.objects.get(candidate__username="jelena").text == "Jelena's words. And more."
    assert not Answer.objects.filter(candidate__username="wei").exists()


def test_the_copy_in_the_browser_is_discarded_only_when_confirmed(site, open_page):
    page = open_page(locale="en-US")  # the page's language, not the browser's, sets the date
    sign_in(page, site, "jelena")
    page.goto(f"{site}{WRITE_35}")
    key = page.locator("#answer-form").get_attribute("data-storage-key")
    kept = {"text": "Kept in this browser only.", "baseVersion": 0, "at": 1795608240000}
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [key, json.dumps(kept)])
    page.reload()

    offer = page.locator("#restore-offer")
    expect(offer).to_be_visible()
    expect(offer.locator("[data-slot=restore-message]")).to_have_text(
        re.compile(r" on \d{1,2} [A-Z][a-z]{2,3} \d{4}, \d{2}:\d{2} that did not reach")
    )
    offer.get_by_role("button", name="Discard it").click()
    expect(offer.get_by_role("button", name="Yes, discard it")).to_be_visible()
    assert page.evaluate("(key) => localStorage.getItem(key)", key) is not None
    offer.get_by_role("button", name="Keep it").click()
    expect(offer.get_by_role("button", name="Put it back in the editor")).to_be_visible()
    assert page.evaluate("(key) => localStorage.getItem(key)", key) is not None

    offer.get_by_role("button", name="Discard it").click()
    offer.get_by_role("button", name="Yes, discard it").click()
    expect(offer).to_be_hidden()
    assert page.evaluate("(key) => localStorage.getItem(key)", key) is None


@pytest.mark.parametrize(("code", "label"), [("3.3", "Submitted"), ("3.1", "Accepted")])
def test_a_submitted_or_accepted_answer_reads_as_a_document(site, page, code, label):
    sign_in(page, site, "mina")
    page.goto(f"{site}/units/f3/criteria/{code}/write/")
    expect(badge(page)).to_have_text(label)
    document = page.locator("article.answer-document")
    expect(document).to_be_visible()
    expect(document).to_have_attribute("lang", "en")
    assert document.inner_text().strip()
    for gone in (
        "[data-action=show-write]",
        "[data-action=show-preview]",
        "#save-status",
        "textarea#answer-text",
    ):
        expect(page.locator(gone)).to_have_count(0)
    expect(page.get_by_text("saved as you type")).to_have_count(0)
    assert_accessible(page)


def scroll_settles_at(page, expected, tolerance=2):
    """A phone scrolls asynchronously: wait up to 3 s for the page to reach `expected`."""
    for _ in range(30):
        if abs(page.evaluate("window.scrollY") - expected) <= tolerance:
            return True
        page.wait_for_timeout(100)
    return False


def test_on_a_phone_the_switch_shows_the_model_answer_and_keeps_the_editor(site, open_page):
    page = open_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(page, site, "mina")
    page.goto(f"{site}{WRITE_35}?lang=sr-Cyrl")
    model = page.locator("#model-answer article")
    editor = page.locator("#answer-text")
    expect(page.locator("#view-switch")).to_be_visible()
    expect(model).to_be_hidden()

    text = "\n\n".join(f"Paragraph {n}: colleagues cover for each other." for n in range(1, 40))
    editor.fill(text)
    page.evaluate("window.__notReloaded = true")
    editor.evaluate("(box) => { box.scrollTop = 300; }")
    page.evaluate("window.scrollTo(0, 500)")
    page_scroll = page.evaluate("window.scrollY")
    editor_scroll = editor.evaluate("(box) => box.scrollTop")

    page.get_by_role("button", name="Model answer").click()
    expect(model).to_be_visible()
    expect(editor).to_be_hidden()
    expect(page.get_by_role("button", name="Model answer")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert_accessible(page)

    page.get_by_role("button", name="Your answer").click()
    expect(editor).to_be_visible()
    expect(model).to_be_hidden()
    expect(editor).to_have_value(text)
    assert scroll_settles_at(page, page_scroll)
    assert abs(editor.evaluate("(box) => box.scrollTop") - editor_scroll) <= 2
    assert page.evaluate("window.__notReloaded === true")
    wait_saved(page)  # nothing left to send while the page closes

    # Wide enough for both: side by side, no switch.
    page.set_viewport_size({"width": 1366, "height": 900})
    expect(page.locator("#view-switch")).to_be_hidden()
    expect(model).to_be_visible()
    expect(editor).to_be_visible()
