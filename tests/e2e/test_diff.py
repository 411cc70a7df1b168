"""What changed between two revisions reads as running text, on a desktop and on a
phone: the candidate's revisions compare and the assessor's review page."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from units import services
from units.models import LearningOutcome

from .conftest import assert_accessible, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = (
    "Teamwork matters because customers deal with one organisation, not with separate "
    "people. When a colleague is away, another answers the query the same day.\n\n"
    "We share notes so that nobody has to ask twice."
)
SECOND = (
    "Good teamwork matters because customers deal with one organisation, not with separate "
    "departments. When a colleague is ill, another colleague answers the query within the "
    "hour.\n\nWe share notes so that nobody has to ask twice."
)


@pytest.fixture
def revised(site):
    """Mina's answer to F3 3.5: submitted, returned by Amara, revised in two sentences."""
    mina, amara = User.objects.get(username="mina"), User.objects.get(username="amara")
    criterion = LearningOutcome.objects.get(unit__slug="f3", code="3.5")
    first = services.draft_submit(
        candidate=mina, criterion=criterion, text=FIRST, base_version=0, declaration=True
    )
    services.comment_add(answer=first.answer, author=amara, body="Say what changed for them.")
    answer = services.answer_return(answer=first.answer, assessor=amara)
    services.draft_submit(
        candidate=mina,
        criterion=criterion,
        text=SECOND,
        base_version=answer.version,
        declaration=True,
    )
    return answer


def assert_running_text(page):
    diff = page.locator(".diff")
    expect(diff).to_have_css("display", "block")
    expect(diff).to_have_css("white-space", "pre-wrap")
    removed, added = diff.locator("del").first, diff.locator("ins").first
    expect(removed).to_contain_text("Teamwork")
    expect(added).to_contain_text("Good teamwork")
    # Told apart by more than colour, and in words for a screen reader.
    expect(removed).to_have_css("text-decoration-line", "line-through")
    expect(added).to_have_css("text-decoration-line", "underline")
    expect(added.locator(".visually-hidden").first).to_have_text("[added: ")
    expect(page.locator(".diff-legend")).to_have_text(
        "Removed text is struck through; added text is underlined."
    )
    # The removal, the addition and the unchanged words after it share the first line.
    tops = added.evaluate(
        """ins => {
            const after = document.createRange();
            after.selectNodeContents(ins.nextSibling);
            return [ins.previousElementSibling, ins, after].map(
                box => Math.round(box.getBoundingClientRect().top));
        }"""
    )
    assert tops[0] == tops[1] == tops[2], tops
    # The paragraph break of the text is kept.
    assert "\n\nWe share notes" in diff.text_content()
    assert_accessible(page)


@pytest.mark.parametrize("width", [1366, 390])
def test_what_changed_reads_as_running_text(site, open_page, revised, width):
    viewport = {"width": width, "height": 900}
    candidate = open_page(viewport=viewport)
    sign_in(candidate, site, "mina")
    candidate.goto(f"{site}/answers/{revised.pk}/revisions/?a=1&b=2")
    assert_running_text(candidate)

    assessor = open_page(viewport=viewport)
    sign_in(assessor, site, "amara")
    assessor.goto(f"{site}/review/{revised.pk}/")
    expect(assessor.locator("#changes-heading")).to_contain_text("What changed")
    assert_running_text(assessor)
