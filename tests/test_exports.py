"""Portfolio exports: asked for on a page, made by the worker, downloaded by whoever
asked while they may still read it; the PDF's text and fonts, the ZIP's JSON."""

import io
import json
import os
import shutil
import subprocess
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from post_office.models import Email

from units import exports, services, signoff, verification
from units.models import Answer, PortfolioExport, PortfolioGrant, RecordAccess

from .conftest import make_unit, run_queued_tasks

pytestmark = pytest.mark.django_db

POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts")


@pytest.fixture(autouse=True)
def _poppler():
    if not POPPLER:
        reason = "export tests need poppler-utils (pdftotext, pdffonts)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; under CI they may not be skipped")
        pytest.skip(reason)


def pdf_text(content: bytes) -> str:
    return subprocess.run(  # noqa: S603 - fixed arguments
        ["pdftotext", "-layout", "-", "-"],  # noqa: S607 - poppler from PATH
        input=content, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip


def pdf_fonts(content: bytes, tmp_path) -> str:
    path = tmp_path / "export.pdf"
    path.write_bytes(content)
    command = ["pdffonts", str(path)]  # noqa: S607 - poppler from PATH
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


@pytest.fixture
def portfolio(people):
    """Alice's unit P1: 1.1 accepted (quoting Korean and Chinese), 1.2 returned with
    a comment on a passage, 1.3 not started; Grace verified the acceptance."""
    unit = make_unit("P1", criteria=3, title="Work with others")
    first, second = unit.criteria.get(code="1.1"), unit.criteria.get(code="1.2")
    revision = services.draft_submit(
        candidate=people["alice"], criterion=first,
        text="We say 팀워크 (teamwork) and 团队合作 at work: Тимски рад matters.",
        base_version=0, declaration=True,
    )  # fmt: skip
    services.comment_add(answer=revision.answer, author=people["carol"], body="**Well** put.")
    services.answer_accept(answer=revision.answer, assessor=people["carol"])
    returned = services.draft_submit(
        candidate=people["alice"], criterion=second, text="Customers come first.",
        base_version=0, declaration=True,
    )  # fmt: skip
    services.comment_add(
        answer=returned.answer, author=people["carol"], body="Give an example.",
        quote="Customers",
    )  # fmt: skip
    services.answer_return(answer=returned.answer, assessor=people["carol"])
    verification.decision_verify(
        decision=revision.answer.decisions.get(), verifier=people["grace"], verdict="action",
        action="Say which words earned the acceptance.", feedback="Otherwise *fine*.",
    )  # fmt: skip
    return unit


def ask(client, person, unit=None, file_format="pdf"):
    data = {"file_format": file_format, **({"unit": unit.slug} if unit else {})}
    return client.post(reverse("units:export_portfolio", kwargs={"pk": person.pk}), data)


def made(export) -> PortfolioExport:
    run_queued_tasks()
    return PortfolioExport.objects.get(pk=export.pk)


def test_asking_queues_an_export_and_the_worker_makes_it(client, people, portfolio, tmp_path):
    client.force_login(people["carol"])
    response = ask(client, people["alice"], portfolio)
    assert response["Location"] == reverse("units:exports")
    export = PortfolioExport.objects.get()
    assert (export.status, export.requested_by, export.unit) == (
        "queued",
        people["carol"],
        portfolio,
    )
    listing = client.get(reverse("units:exports")).content.decode()
    assert "Waiting" in listing and "updates itself" in listing
    assert RecordAccess.objects.filter(kind="export_requested", reader=people["carol"]).exists()

    export = made(export)
    assert export.status == "ready" and export.file_name.endswith(".pdf")
    assert export.size == len(export.content) and len(export.sha256) == 64
    assert Email.objects.filter(to=["carol@example.com"], subject__contains="is ready").exists()
    download = client.get(reverse("units:download_export", kwargs={"pk": export.pk}))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    content = b"".join(download.streaming_content)
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    for words in [
        "Portfolio of alice", "P1 Work with others", "1.1 Question 1?", "Revision 1, accepted",
        "Тимски рад matters", "Well put.", "Give an example.", "Customers come first.",
        "Internal verification: Agree, with an action", "Say which words earned the acceptance.",
        "alice submitted revision 1.", "carol accepted revision 1.", "Not started",
    ]:  # fmt: skip
        assert words in " ".join(text.split()), words
    assert "팀워크" in text and "团队合作" in text
    fonts = pdf_fonts(content, tmp_path)
    assert "Noto-Sans-CJK" in fonts
    for line in fonts.splitlines()[2:]:
        assert line.split()[-5] == "yes", line  # every font embedded
    export.refresh_from_db()
    assert export.downloaded_at is not None
    assert RecordAccess.objects.filter(kind="downloaded", reader=people["carol"]).exists()


def test_a_pdf_without_cjk_text_embeds_no_cjk_font(client, people, tmp_path):
    unit = make_unit("P2", criteria=1)
    services.draft_submit(
        candidate=people["alice"], criterion=unit.criteria.get(), text="Plain English.",
        base_version=0, declaration=True,
    )  # fmt: skip
    client.force_login(people["carol"])
    ask(client, people["alice"], unit)
    content = bytes(made(PortfolioExport.objects.get()).content)
    assert "Plain English." in pdf_text(content)
    assert "CJK" not in pdf_fonts(content, tmp_path)


def test_the_zip_holds_the_pdf_and_the_same_data_as_json(client, people, portfolio):
    signoff_unit = make_unit("P3", criteria=1)
    revision = services.draft_submit(
        candidate=people["alice"], criterion=signoff_unit.criteria.get(), text="Done.",
        base_version=0, declaration=True,
    )  # fmt: skip
    services.answer_accept(answer=revision.answer, assessor=people["carol"])
    signoff.unit_sign_off(candidate=people["alice"], unit=signoff_unit, assessor=people["carol"])
    client.force_login(people["grace"])
    ask(client, people["alice"], file_format="zip")
    export = made(PortfolioExport.objects.get())
    archive = zipfile.ZipFile(io.BytesIO(bytes(export.content)))
    names = sorted(archive.namelist())
    assert [name.rsplit(".", 1)[1] for name in names] == ["json", "pdf"]
    data = json.loads(archive.read(names[0]))
    assert data["format"] == "nvqbank-portfolio"
    assert data["candidate"] == {"username": "alice", "name": "alice"}
    assert [unit["code"] for unit in data["units"]] == ["P1", "P3"]
    p1 = data["units"][0]
    first, second, third = p1["criteria"]
    assert first["revision"]["text"].startswith("We say 팀워크")
    assert first["revision"]["language"] == "en" and first["status"] == "accepted"
    assert first["decisions"][0]["internal_verification"]["verdict"] == "action"
    assert first["comments"][0]["body_markdown"] == "**Well** put."
    assert [h["action"] for h in first["history"]] == ["submit", "accept"]
    assert second["comments"][0]["passage"] == "Customers"
    assert (third["status"], third["revision"]) == ("not_started", None)
    p3 = data["units"][1]
    assert p3["sign_offs"][0]["signed_off_by"]["username"] == "carol"
    assert p3["sign_offs"][0]["events"][0]["kind"] == "signed"
    assert "P3" in pdf_text(archive.read(names[1]))


def test_asking_twice_while_it_is_made_queues_one(client, people, portfolio):
    client.force_login(people["carol"])
    ask(client, people["alice"], portfolio)
    ask(client, people["alice"], portfolio)
    assert PortfolioExport.objects.count() == 1


def test_only_the_person_who_asked_downloads_it(client, people, portfolio):
    client.force_login(people["carol"])
    ask(client, people["alice"], portfolio)
    export = made(PortfolioExport.objects.get())
    url = reverse("units:download_export", kwargs={"pk": export.pk})
    for other in ("alice", "dave", "grace", "tom", "admin"):
        client.force_login(people[other])
        assert client.get(url).status_code == 404, other


def test_an_external_verifiers_exports_end_with_their_access(client, people, portfolio):
    client.force_login(people["tom"])
    ask(client, people["alice"], portfolio)
    export = made(PortfolioExport.objects.get())
    url = reverse("units:download_export", kwargs={"pk": export.pk})
    assert client.get(url).status_code == 200
    PortfolioGrant.objects.update(expires_at=timezone.now())
    assert client.get(url).status_code == 404
    assert ask(client, people["alice"], portfolio).status_code == 404


def test_an_assessor_no_longer_assigned_loses_the_export(client, people, portfolio):
    from units.models import Assignment

    client.force_login(people["carol"])
    ask(client, people["alice"])
    export = made(PortfolioExport.objects.get())
    Assignment.objects.all().delete()
    url = reverse("units:download_export", kwargs={"pk": export.pk})
    assert client.get(url).status_code == 404


def test_a_failed_export_says_so_and_tells_the_person(client, people, portfolio, settings):
    # A fault inside the worker: here, a template that does not compile.
    broken = str(settings.BASE_DIR / "tests" / "broken_templates")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [broken, *engine["DIRS"]]}]
    client.force_login(people["carol"])
    ask(client, people["alice"], portfolio)
    export = made(PortfolioExport.objects.get())
    assert (export.status, export.content) == ("failed", None)
    assert "TemplateSyntaxError" in export.error
    assert Email.objects.filter(
        to=["carol@example.com"], subject__contains="could not be made"
    ).exists()
    page = client.get(reverse("units:exports")).content.decode()
    assert "It could not be made. Ask for it again" in page
    assert client.get(reverse("units:download_export", kwargs={"pk": export.pk})).status_code == 302


def test_exports_fetch_nothing_from_the_network(people):
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        content = exports.pdf(
            f'<html><head><link rel="stylesheet" href="{url}/a.css"></head><body>'
            f'<img src="{url}/b.png"><p style="background: url({url}/c.png)">Hello</p>'
            "</body></html>"
        )
    finally:
        server.shutdown()
    assert content.startswith(b"%PDF-") and hits == []


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_makes_the_export(client, people):
    """`manage.py db_worker --batch`, the command `make run` and production run."""
    unit = make_unit("W1", criteria=1)
    services.draft_submit(
        candidate=people["alice"], criterion=unit.criteria.get(), text="Worked off the queue.",
        base_version=0, declaration=True,
    )  # fmt: skip
    client.force_login(people["carol"])
    ask(client, people["alice"], unit)
    assert PortfolioExport.objects.get().status == "queued"
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    export = PortfolioExport.objects.get()
    assert export.status == "ready"
    assert "Worked off the queue." in pdf_text(bytes(export.content))


@pytest.mark.parametrize("n", [1, 30])
def test_the_export_pages_take_the_same_queries(client, people, django_assert_max_num_queries, n):
    unit = make_unit("E1", criteria=1)
    for _ in range(n):
        PortfolioExport.objects.create(
            requested_by=people["carol"], person=people["alice"], unit=unit, kind="portfolio",
            file_format="pdf", language="en-gb", expires_at=timezone.now(),
        )  # fmt: skip
    client.force_login(people["carol"])
    client.get("/")
    with django_assert_max_num_queries(5):
        assert client.get(reverse("units:exports")).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(reverse("units:personal_data")).status_code == 200


def test_expired_exports_are_deleted_by_apply_retention(people):
    unit = make_unit("E2", criteria=1)
    old = PortfolioExport.objects.create(
        requested_by=people["carol"], person=people["alice"], unit=unit, kind="portfolio",
        file_format="pdf", language="en-gb", expires_at=timezone.now(),
    )  # fmt: skip
    call_command("apply_retention", verbosity=0)
    assert not PortfolioExport.objects.filter(pk=old.pk).exists()
    assert Answer.objects.count() == 0  # nothing else touched


def test_a_whole_portfolio_export_ends_when_any_unit_in_it_is_no_longer_readable(
    client, people, portfolio
):
    """Tom exports Alice's whole portfolio under a grant on every unit; the grant is
    narrowed to one unit: the file, which holds both, is no longer his."""
    other = make_unit("P9", criteria=1)
    client.force_login(people["tom"])
    ask(client, people["alice"])
    export = made(PortfolioExport.objects.get())
    assert sorted(export.unit_ids) == sorted([portfolio.pk, other.pk])
    url = reverse("units:download_export", kwargs={"pk": export.pk})
    assert client.get(url).status_code == 200
    PortfolioGrant.objects.update(unit=other)
    assert client.get(url).status_code == 404


def test_an_export_past_its_keeping_is_neither_listed_nor_served(client, people, portfolio):
    client.force_login(people["carol"])
    ask(client, people["alice"], portfolio)
    export = made(PortfolioExport.objects.get())
    PortfolioExport.objects.update(expires_at=timezone.now())
    assert client.get(reverse("units:download_export", kwargs={"pk": export.pk})).status_code == 404
    assert export.file_name not in client.get(reverse("units:exports")).content.decode()
