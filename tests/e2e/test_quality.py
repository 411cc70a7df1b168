"""Quality assurance in a real browser, as its people do it: the internal verifier
samples Amara's acceptance of Mina's 3.1 and disagrees; Amara reads the feedback; a
unit is signed off by the assessor, confirmed by the candidate and countersigned; an
admin exports Mina's portfolio, the worker makes it and the PDF reads; the external
verifier reads what was granted, and no more once it ends."""

import os
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from units import services
from units.models import Answer, LearningOutcome, PortfolioGrant, UnitSignOff, Verification

from .conftest import SCREENSHOTS, assert_accessible, sign_in
from .test_admin_content import admin_sign_in
from .test_languages import shot

pytestmark = pytest.mark.django_db(transaction=True)

WIDE = {"width": 1366, "height": 900}


def test_the_internal_verifier_disagrees_and_the_assessor_reads_it(site, open_page):
    grace = open_page(viewport=WIDE)
    sign_in(grace, site, "grace")
    grace.click("nav >> text=Sampling")
    expect(grace.locator("h1")).to_have_text("Sampling assessors' decisions")
    row = grace.locator("tr", has_text="Mina Park").filter(has_text="F3 3.1")
    expect(row).to_contain_text("Proposed")
    assert_accessible(grace)
    shot(grace, "quality-sample")
    row.get_by_role("link", name=re.compile("Verify")).click()
    expect(grace.locator("h2", has_text="The decision sampled")).to_be_visible()
    expect(grace.locator(".revision-text")).to_contain_text("partners such as the police")
    assert_accessible(grace)
    grace.check("input[name=verdict][value=disagree]")
    grace.fill(
        "textarea[name=reason]", "The answer lists partners but not how residents are involved."
    )
    grace.fill("textarea[name=feedback]", "Ask for **one example** of involving residents.")
    grace.check("input[name=reopen]")
    shot(grace, "quality-decision")
    grace.click("button:has-text('Record the verdict')")
    expect(grace.locator(".alert-success")).to_contain_text("verdict is recorded")
    expect(grace.locator(".verification")).to_contain_text("Disagree")
    verification = Verification.objects.get()
    assert verification.reopened
    assert (
        Answer.objects.get(candidate__username="mina", learning_outcome__code="3.1").status
        == "needs_revision"
    )

    amara = open_page(viewport=WIDE)
    sign_in(amara, site, "amara")
    feedback = amara.locator("section", has_text="Feedback from your internal verifier")
    expect(feedback).to_contain_text("Disagree")
    shot(amara, "quality-assessor-home")
    feedback.get_by_role("link", name="F3 3.1").click()
    section = amara.locator("#verification")
    expect(section).to_contain_text("not how residents are involved")
    expect(section.locator("strong")).to_have_text("one example")
    assert_accessible(amara)
    section.get_by_role("button", name="Mark as read").click()
    expect(amara.locator("#verification")).to_contain_text("Marked as read")
    amara.goto(f"{site}/")
    expect(amara.locator("text=Feedback from your internal verifier")).to_have_count(0)

    mina = open_page(viewport=WIDE)
    sign_in(mina, site, "mina")
    mina.goto(f"{site}/progress/")
    cell = mina.locator("a.progress-cell[href='/units/f3/criteria/3.1/write/']")
    expect(cell).to_contain_text("Needs revision")


def accept_every_f3_criterion(candidate, assessor):
    for criterion in LearningOutcome.objects.filter(unit__code="F3"):
        revision = services.draft_submit(
            candidate=candidate, criterion=criterion, text=f"My answer to {criterion.code}.",
            base_version=0, declaration=True,
        )  # fmt: skip
        services.answer_accept(answer=revision.answer, assessor=assessor)


def test_a_unit_is_signed_off_confirmed_and_countersigned(site, open_page):
    from django.contrib.auth import get_user_model

    people = {u.username: u for u in get_user_model().objects.all()}
    accept_every_f3_criterion(people["jelena"], people["amara"])

    amara = open_page(viewport=WIDE)
    sign_in(amara, site, "amara")
    amara.click("nav >> text=Portfolios")
    ready = amara.locator("section", has_text="Units ready to sign off")
    ready.get_by_role("link", name=re.compile("Jelena")).click()
    expect(amara.locator("#sign-off")).to_contain_text("not signed off")
    amara.click("button:has-text('Sign the unit off')")
    expect(amara.locator(".alert-success")).to_contain_text("The unit is signed off")
    expect(amara.locator("#sign-off")).to_contain_text("waiting for the candidate to confirm")
    assert_accessible(amara)

    jelena = open_page(viewport=WIDE, locale="en-GB")
    sign_in(jelena, site, "jelena")
    jelena.click("text=Units signed off: confirm them >> .. >> a")
    unit = jelena.locator("section", has=jelena.locator("h2", has_text="F3"))
    expect(unit).to_contain_text("signed this unit off")
    shot(jelena, "quality-confirm")
    unit.get_by_role("button", name="Confirm unit F3").click()  # without the declaration
    expect(jelena.locator(".alert-danger")).to_contain_text("Tick the declaration")
    unit = jelena.locator("section", has=jelena.locator("h2", has_text="F3"))
    unit.locator("input[name=declaration]").check()
    unit.get_by_role("button", name="Confirm unit F3").click()
    expect(jelena.locator(".alert-success")).to_contain_text("Unit F3 is complete")
    expect(jelena.locator("section", has=jelena.locator("h2", has_text="F3"))).to_contain_text(
        "Complete"
    )
    assert_accessible(jelena)

    grace = open_page(viewport=WIDE)
    sign_in(grace, site, "grace")
    grace.click("nav >> text=Portfolios")
    grace.get_by_role("link", name=re.compile("Open.*Jelena")).click()
    grace.locator("h2 a", has_text="F3").click()
    grace.click("button:has-text('Countersign as internal verifier')")
    expect(grace.locator("#sign-off")).to_contain_text("Countersigned by Grace Adeyemi")
    shot(grace, "quality-portfolio-unit")
    assert UnitSignOff.objects.get().countersigned_by.username == "grace"


def test_an_admin_exports_minas_portfolio_and_the_pdf_reads(site, open_page, tmp_path):
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        reason = "poppler-utils (pdftotext, pdftoppm) is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    admin = open_page(viewport=WIDE, accept_downloads=True)
    sign_in(admin, site, "admin")
    admin.click("nav >> text=Portfolios")
    admin.get_by_role("link", name=re.compile("Open.*Mina")).click()
    expect(admin.locator("h1")).to_have_text("Portfolio of Mina Park")
    shot(admin, "quality-portfolio")
    # The page's status checks wait (held here) until the worker has run: the test
    # database is not shared with a second writer meanwhile.
    held = []
    admin.route("**/exports/", lambda route: held.append(route) or route.continue_())
    admin.click("button:has-text('Export as PDF')")
    expect(admin.locator(".alert-success")).to_contain_text("being prepared")
    expect(admin.locator("tr[data-export] [data-status]")).to_have_text("Waiting")
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    # The page sees the export made and shows its link, without a reload by hand.
    link = admin.get_by_role("link", name=re.compile("Download"))
    expect(link).to_be_visible(timeout=30_000)
    shot(admin, "quality-exports")
    with admin.expect_download() as download:
        link.click()
    path = tmp_path / "portfolio.pdf"
    download.value.save_as(path)
    command = ["pdftotext", "-layout", str(path), "-"]  # noqa: S607 - poppler from PATH
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    flat = " ".join(text.split())
    assert "Portfolio of Mina Park" in flat
    assert "partners such as the police, the fire service and the health service" in flat
    assert "Amara Okafor accepted revision 1." in flat
    # A page of it as a picture, for docs/: the first of unit F3, where Mina's answers,
    # Amara's decisions and comments are.
    number = next(n for n in range(2, 20) if "3.1 How does your organisation" in page_text(path, n))
    pages = tmp_path / "page"
    command = ["pdftoppm", "-png", "-r", "80", "-f", str(number), "-l", str(number)]  # noqa: S607
    subprocess.run([*command, str(path), str(pages)], check=True)  # noqa: S603
    picture = next(tmp_path.glob("page*.png"))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copy(picture, SCREENSHOTS / "portfolio-pdf.png")


def page_text(path, number: int) -> str:
    command = ["pdftotext", "-f", str(number), "-l", str(number), str(path), "-"]  # noqa: S607
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


def test_the_external_verifier_reads_what_is_granted_until_it_ends(site, open_page):
    tom = open_page(viewport=WIDE)
    sign_in(tom, site, "tom")
    tom.click("nav >> text=Portfolios")
    expect(tom.locator("section", has_text="Your access as external verifier")).to_contain_text(
        "Mina Park"
    )
    tom.get_by_role("link", name=re.compile("Open.*Mina")).click()
    tom.locator("h2 a", has_text="F3").click()
    expect(tom.locator("#criterion-3\\.1")).to_contain_text("partners such as the police")
    expect(tom.locator("button:has-text('Sign the unit off')")).to_have_count(0)
    assert_accessible(tom)
    shot(tom, "quality-external")
    url = tom.url
    PortfolioGrant.objects.update(
        starts_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    response = tom.goto(url)
    assert response.status == 404


def test_the_admin_page_for_a_person_with_records_offers_deactivation(site, open_page):
    admin = open_page(viewport=WIDE)
    admin_sign_in(admin, site)
    from django.contrib.auth import get_user_model

    mina = get_user_model().objects.get(username="mina")
    admin.goto(f"{site}/admin/auth/user/{mina.pk}/delete/")
    expect(admin.locator("#content")).to_contain_text("cannot be deleted")
    admin.click("input[value='Deactivate now']")
    expect(admin.locator(".messagelist")).to_contain_text("is deactivated")
    mina.refresh_from_db()
    assert not mina.is_active
