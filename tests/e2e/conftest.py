"""Browser tests: Debian's Chromium, driven by Playwright, against live_server.

Without Chromium the browser tests are skipped with the reason; under CI=true a
skipped browser test is a failure, so CI cannot pass without running them.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from ..conftest import FIXTURE_FILES

# Playwright runs an event loop in the test thread; the ORM calls the tests make
# beside the browser are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Two cores run the server, the browser and the tests: allow more than the default 5 s.
expect.set_options(timeout=15_000)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PASSWORD = "demo-pass-2026"  # noqa: S105 - the demo accounts' published password
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _missing_browser() -> str | None:
    if not Path(CHROMIUM).exists():
        return (
            f"browser tests skipped: no Chromium at {CHROMIUM} "
            "(apt-get install -y --no-install-recommends chromium fonts-noto-cjk)"
        )
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; under CI a skipped browser test is a failure")
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": FLAGS}


@pytest.fixture
def site(live_server, transactional_db):
    """The demo site: real fixtures, demo accounts, served by live_server."""
    # As `make run` does: the importer loads the fixtures (indexed for search) and
    # publishes them; seed_demo enrols the demo candidates on every unit.
    call_command("import_units", "--publish", *FIXTURE_FILES, verbosity=0)
    call_command("seed_demo", "--force", verbosity=0)
    return live_server.url


@pytest.fixture
def open_page(site, browser):
    """New pages, each in its own browser context (its own cookies: another person).

    Closed before the test's database is flushed, so no page left open can send a
    late save into the next test.
    """
    contexts = []

    def new_page(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        return watch_csp(context.new_page())

    yield new_page
    for context in contexts:
        context.close()


CSP_VIOLATIONS: list[str] = []


def watch_csp(page):
    """Record what the Content-Security-Policy blocks on this page (it must be nothing)."""
    page.on(
        "console",
        lambda message: (
            CSP_VIOLATIONS.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


@pytest.fixture(autouse=True)
def no_csp_violations(request):
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == [], "the Content-Security-Policy blocked something"


@pytest.fixture
def page(page):
    return watch_csp(page)


def sign_in(page, site, username):
    watch_csp(page)
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


_axe = Axe()


def assert_accessible(page):
    """axe-core at WCAG 2.1 AA on the page as it is now: zero violations."""
    results = _axe.run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


def wait_saved(page):
    # An expect, not wait_for_function: the page's CSP forbids evaluating strings.
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Saved"))


def cjk_fonts_installed() -> bool:
    if not shutil.which("fc-list"):
        return False
    found = subprocess.run(  # noqa: S603 - fixed arguments
        ["fc-list", ":lang=ko", "family"],  # noqa: S607 - fc-list from PATH
        capture_output=True,
        text=True,
        check=False,
    )
    return "Noto" in found.stdout
