"""Every journey in a real browser: what a candidate and an assessor do, and what
must hold when things go wrong (a dropped connection, a second tab)."""

import re

import pytest
from playwright.sync_api import expect

from units.models import Answer, AuditEntry

from .conftest import assert_accessible, sign_in, wait_saved, watch_csp

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_35 = "/units/f3/criteria/3.5/write/"


def test_candidate_drafts_beside_the_model_answer_and_submits(site, page):
    sign_in(page, site, "mina")
    page.goto(f"{site}{WRITE_35}?lang=ko")
    expect(page.locator("#model-answer article")).to_have_attribute("lang", "ko")
    assert_accessible(page)

    editor = page.locator("#answer-text")
    editor.fill("Teamwork matters because customers see **one** organisation.")
    expect(page.locator("#save-status")).to_have_text(re.compile("Not saved yet|Saving…|Saved"))
    wait_saved(page)

    # Switch the model answer's language with unsaved text in the editor.
    editor.press("End")
    editor.type(" Colleagues cover for each other.")
    page.click("#model-answer a[data-lang='sr-Cyrl']")
    expect(page.locator("#model-answer article")).to_have_attribute("lang", "sr-Cyrl")
    expect(editor).to_have_value(
        "Teamwork matters because customers see **one** organisation. "
        "Colleagues cover for each other."
    )
    wait_saved(page)

    page.reload()
    expect(editor).to_have_value(re.compile("Colleagues cover for each other.$"))
    expect(page.locator("#model-answer article")).to_have_attribute("lang", "sr-Cyrl")

    page.click("[data-action=show-preview]")
    expect(page.locator("#preview strong")).to_have_text("one")
    page.click("[data-action=show-write]")

    page.check("#declaration")
    page.click("button:has-text('Submit for assessment')")
    expect(page.locator(".alert-success")).to_contain_text("submitted for assessment")
    expect(page.locator("#answer-status")).to_have_text("Submitted")
    # Read-only now: the submitted text as a document, no editor.
    expect(editor).to_have_count(0)
    expect(page.locator("article.answer-document")).to_contain_text(
        "Colleagues cover for each other."
    )
    assert_accessible(page)

    page.goto(f"{site}/progress/")
    expect(page.locator("a.progress-cell", has_text="3.5")).to_contain_text("Submitted")
    assert_accessible(page)


def test_text_typed_while_the_server_is_unreachable_is_kept_and_saved_later(site, context):
    page = context.new_page()
    sign_in(page, site, "jelena")
    page.goto(f"{site}{WRITE_35}")
    context.set_offline(True)
    page.fill("#answer-text", "Written on a train with no signal.")
    expect(page.locator("#save-status")).to_have_text("Not saved — kept in this browser")
    # Closing the tab sends one last save, which fails too: nothing reached the server.
    page.close()
    context.set_offline(False)
    assert not Answer.objects.filter(candidate__username="jelena").exists()

    # Saves are still failing (the server is not answering them) when the page is opened again.
    context.route("**/write/save/", lambda route: route.abort())
    page = watch_csp(context.new_page())
    page.goto(f"{site}{WRITE_35}")
    offer = page.locator("#restore-offer")
    expect(offer).to_be_visible()
    expect(offer.locator("[data-slot=restore-text]")).to_have_text(
        "Written on a train with no signal."
    )
    page.reload()
    expect(offer).to_be_visible()
    offer.locator("[data-action=restore]").click()
    expect(page.locator("#answer-text")).to_have_value("Written on a train with no signal.")
    expect(page.locator("#save-status")).to_have_text("Not saved — kept in this browser")

    # Saving works again: the next attempt reaches the server.
    context.unroute("**/write/save/")
    page.click("#save-button")
    wait_saved(page)
    assert Answer.objects.get(candidate__username="jelena").text == (
        "Written on a train with no signal."
    )


def test_a_save_the_database_refuses_keeps_the_text_in_the_browser(site, page):
    sign_in(page, site, "jelena")
    page.goto(f"{site}{WRITE_35}")
    # The server's answer when the database refuses the write (tested for real in
    # tests/test_faults.py): 503 with a message.
    page.route(
        "**/write/save/",
        lambda route: route.fulfill(
            status=503, json={"error": "unavailable", "message": "The server could not save."}
        ),
    )
    page.fill("#answer-text", "Words the database refused.")
    expect(page.locator("#save-status")).to_have_text("Not saved — kept in this browser")
    stored = page.evaluate("Object.values(localStorage).map((v) => JSON.parse(v).text)")
    assert "Words the database refused." in stored
    page.unroute("**/write/save/")
    page.click("#save-button")
    wait_saved(page)
    assert Answer.objects.get(candidate__username="jelena").text == "Words the database refused."


def test_a_save_from_a_second_tab_gets_a_conflict_showing_both_texts(site, context):
    first = context.new_page()
    sign_in(first, site, "wei")
    first.goto(f"{site}{WRITE_35}")
    second = watch_csp(context.new_page())
    second.goto(f"{site}{WRITE_35}")

    # The first tab has text the server has not got yet (its saves fail for now)
    # when the second saves: it shows both texts at once.
    first.route("**/write/save/", lambda route: route.abort())
    first.fill("#answer-text", "Text from the first tab.")
    expect(first.locator("#save-status")).to_have_text("Not saved — kept in this browser")
    second.fill("#answer-text", "Text from the second tab.")
    second.click("#save-button")
    wait_saved(second)
    first.unroute("**/write/save/")

    conflict = first.locator("#conflict")
    expect(conflict).to_be_visible(timeout=10_000)
    expect(conflict.locator("[data-slot=server-text]")).to_have_text("Text from the second tab.")
    expect(conflict.locator("[data-slot=your-text]")).to_have_text("Text from the first tab.")
    assert Answer.objects.get(candidate__username="wei").text == "Text from the second tab."

    conflict.locator("[data-action=keep-mine]").click()
    wait_saved(first)
    assert Answer.objects.get(candidate__username="wei").text == "Text from the first tab."


def select_passage(page, passage):
    """Select a passage of the submitted answer as a mouse would."""
    page.wait_for_load_state("load")  # review.js listens for the selection
    page.evaluate(
        """(passage) => {
            const box = document.getElementById('revision-text');
            const node = box.firstChild;
            const start = node.textContent.indexOf(passage);
            const range = document.createRange();
            range.setStart(node, start);
            range.setEnd(node, start + passage.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            box.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
        }""",
        passage,
    )


def test_assessor_comments_on_a_passage_candidate_revises_assessor_accepts(site, open_page):
    candidate = open_page()
    assessor = open_page()
    sentence = "When a colleague is ill, another answers the query."

    sign_in(candidate, site, "mina")
    candidate.goto(f"{site}{WRITE_35}")
    candidate.fill("#answer-text", f"Customers see one organisation. {sentence}")
    candidate.check("#declaration")
    candidate.click("button:has-text('Submit for assessment')")
    expect(candidate.locator(".alert-success")).to_be_visible()

    sign_in(assessor, site, "amara")
    assessor.goto(f"{site}/review/")
    assert_accessible(assessor)
    assessor.locator("tr", has_text="F3 3.5").get_by_role("link", name=re.compile("Review")).click()
    expect(assessor.locator("#revision-text")).to_contain_text(sentence)
    select_passage(assessor, sentence)
    expect(assessor.locator("#comment-form [name=quote]")).to_have_value(sentence)
    assessor.fill("#comment-form [name=body]", "Give a **real** example from your work.")
    assessor.click("button:has-text('Add comment')")
    expect(assessor.locator("#revision-text mark.passage")).to_have_text(sentence)
    assessor.check("input[value=return]")
    assessor.click("button:has-text('Record decision')")
    expect(assessor.locator(".alert-success")).to_contain_text("needs revision")
    assert_accessible(assessor)

    candidate.goto(f"{site}/")
    expect(candidate.locator("#returned-heading")).to_be_visible()
    candidate.goto(f"{site}{WRITE_35}")
    expect(candidate.locator("#feedback mark.passage").first).to_have_text(sentence)
    expect(candidate.locator("#feedback")).to_contain_text("Give a real example from your work.")
    assert_accessible(candidate)
    candidate.fill(
        "#answer-text",
        "Customers see one organisation. Last month Sam answered a client's query the same day.",
    )
    candidate.check("#declaration")
    candidate.click("button:has-text('Submit for assessment')")
    expect(candidate.locator(".alert-success")).to_contain_text("Revision 2")

    assessor.reload()
    expect(assessor.locator("#changes-heading")).to_be_visible()
    expect(assessor.locator(".diff ins").first).to_be_visible()
    assessor.check("input[value=accept]")
    assessor.click("button:has-text('Record decision')")
    expect(assessor.locator(".history li")).to_have_count(4)
    steps = list(
        AuditEntry.objects.filter(answer__learning_outcome__code="3.5").values_list(
            "action", flat=True
        )
    )
    assert steps == ["submit", "return", "submit", "accept"]


def test_hostile_markdown_never_runs(site, open_page):
    candidate = open_page()
    assessor = open_page()
    opened = []
    for page in (candidate, assessor):
        page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    hostile = (
        '<script>alert("s")</script> <img src=x onerror=alert("i")> '
        '<svg onload=alert("v")></svg> [click](javascript:alert("j")) '
        '<a href="JaVaScRiPt:alert(1)">x</a> <iframe src="javascript:alert(2)"></iframe>'
    )
    sign_in(candidate, site, "mina")
    candidate.goto(f"{site}{WRITE_35}")
    candidate.fill("#answer-text", hostile)
    wait_saved(candidate)
    candidate.click("[data-action=show-preview]")
    expect(candidate.locator("#preview")).not_to_contain_text("Loading")
    candidate.click("[data-action=show-write]")
    candidate.reload()
    expect(candidate.locator("#answer-text")).to_have_value(hostile)  # text, not markup
    candidate.check("#declaration")
    candidate.click("button:has-text('Submit for assessment')")

    sign_in(assessor, site, "amara")
    answer = Answer.objects.get(candidate__username="mina", learning_outcome__code="3.5")
    assessor.goto(f"{site}/review/{answer.pk}/")
    expect(assessor.locator("#revision-text")).to_contain_text('<script>alert("s")</script>')
    assessor.fill("#comment-form [name=body]", hostile + " **Fine.**")
    assessor.click("button:has-text('Add comment')")
    expect(assessor.locator(".comment-thread .markdown strong")).to_have_text("Fine.")
    for link in assessor.locator(".comment-thread a").all():
        assert not (link.get_attribute("href") or "").lower().startswith("javascript")
    assert opened == []
