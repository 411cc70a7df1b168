"""Importing content fixtures: one validator for the admin's upload pages,
import_units and check_fixtures; every problem a sentence, nothing changed by a
failed or unconfirmed import; a preview; one transaction; the import log."""

import json
import time

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from units import importing
from units.models import (
    ContentImport,
    LearningOutcome,
    ModelAnswer,
    Qualification,
    Reading,
    SearchEntry,
    Unit,
    UnitIntroduction,
)
from units.roles import ADMIN, CANDIDATE

from .conftest import FIXTURE_FILES, make_user

pytestmark = pytest.mark.django_db

CONTENT_MODELS = [
    Unit,
    LearningOutcome,
    ModelAnswer,
    UnitIntroduction,
    Reading,
    Qualification,
    ContentImport,
]

UNIT = {"model": "units.unit", "fields": {"code": "Z9", "slug": "z9", "title": "Zed"}}


def criterion(code="1.1", unit="Z9", **fields):
    return {
        "model": "units.learningoutcome",
        "fields": {
            "unit": [unit],
            "code": code,
            "outcome": "LO1 Understand",
            "question": "Why?",
            **fields,
        },
    }


def answer(code="1.1", language="ko", unit="Z9", body="답"):
    return {
        "model": "units.modelanswer",
        "fields": {"learning_outcome": [unit, code], "language": language, "body": body},
    }


def as_file(objects, name="new.json") -> tuple[str, bytes]:
    return name, json.dumps(objects, ensure_ascii=False, indent=1).encode()


def committed() -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in FIXTURE_FILES]


def snapshot() -> dict:
    """Every row of the content models, to prove nothing changed."""
    return {
        model.__name__: sorted(map(str, model.objects.values_list())) for model in CONTENT_MODELS
    }


def problems_of(*files) -> list[str]:
    before = snapshot()
    plan = importing.validate_files(list(files))
    assert snapshot() == before  # checking keeps nothing
    return [plain(str(problem)) for problem in plan.problems]


def plain(text: str) -> str:
    """Sizes are written with a no-break space (50.0\xa0MB)."""
    return text.replace("\xa0", " ")


def load(*files, user=None):
    plan = importing.validate_files(list(files))
    assert plan.ok, plan.problems
    staged = ContentImport.objects.stage(user, "content", plan.files)
    return importing.content_import_apply(content_import=staged)


@pytest.fixture
def bank(db):
    """The committed fixtures, imported and published, as in `make run`."""
    load(*committed())
    Unit.objects.update(published_at=timezone.now())


# --- The validator: every bad input, a sentence, nothing changed ---------------------


def test_the_committed_fixtures_have_no_problem_and_would_create_everything(db):
    plan = importing.validate_files(committed())
    assert plan.ok
    counts = plan.counts()
    assert counts["units.unit"] == {"created": 2, "changed": 0, "unchanged": 0}
    assert counts["units.reading"]["created"] == 2
    assert snapshot()["Unit"] == []


def test_a_file_over_the_limit_is_refused_by_its_size():
    problem = importing.too_large("huge.json", 50 * 1024 * 1024)
    assert plain(str(problem)) == (
        "huge.json: The file is 50.0 MB, more than the limit of 5.0 MB for one file. "
        "Split it into smaller files (one unit per file, say) and upload them together."
    )
    assert importing.too_large("small.json", 1000) is None


def test_text_that_is_not_utf8_is_refused_with_its_line(db):
    text = json.dumps([UNIT], indent=1).replace("Zed", "Caf\u00e9")
    data = text.encode("cp1252")
    line = text[: text.index("Caf")].count("\n") + 1
    [problem] = problems_of(("latin.json", data))
    assert problem.startswith(f"latin.json: The file is not UTF-8 text: line {line} has bytes")
    assert "Save it as UTF-8" in problem


def test_invalid_json_says_where_in_plain_words(db):
    text = '[\n  {"model": "units.unit",\n   "fields": {"code": "Z9" "slug": "z9"}}\n]'
    [problem] = problems_of(("broken.json", text.encode()))
    assert problem.startswith(
        "broken.json: The file is not valid JSON: at line 3, column 28 a comma is missing "
        "between two items (or the file stops too early)."
    )
    [truncated] = problems_of(("cut.json", json.dumps([UNIT]).encode()[:-5]))
    assert "cut.json: The file is not valid JSON: at line 1" in truncated


def test_the_shape_of_a_fixture_is_explained(db):
    [not_a_list] = problems_of(as_file({"model": "units.unit"}, "object.json"))
    assert "object.json: The file must hold a list of objects in square brackets" in not_a_list
    shapeless = problems_of(as_file([UNIT, {"model": "units.unit"}, "text"], "items.json"))
    assert [problem.split(" is not")[0] for problem in shapeless] == [
        "items.json: Item 2",
        "items.json: Item 3",
    ]
    assert 'Each item looks like {"model": "units.unit", "fields": {…}}.' in shapeless[0]
    assert len(problems_of(as_file([{"fields": {}}, 3]))) == 2


def test_models_that_are_not_content_are_refused(db):
    user = {"model": "auth.user", "fields": {"username": "mallory", "is_superuser": True}}
    [problem] = problems_of(as_file([UNIT, user], "people.json"))
    assert problem.startswith(
        "people.json: Item 2 (“auth.user”) cannot be imported here: only units, "
        "assessment criteria, model answers"
    )
    assert "Remove it from the file." in problem


def test_database_ids_are_refused(db):
    [problem] = problems_of(as_file([{**UNIT, "pk": 7}]))
    assert problem == (
        "new.json: unit Z9: Remove “pk”: objects are matched on their natural keys (a unit "
        "by its code, a criterion by its unit and code), never by database ids."
    )


def test_unknown_fields_and_publication_are_refused(db):
    fields = {**UNIT["fields"], "titel": "typo", "published_at": "2024-01-01T00:00:00Z"}
    problems = sorted(problems_of(as_file([{"model": "units.unit", "fields": fields}])))
    assert len(problems) == 2
    assert problems[0].startswith(
        "new.json: unit Z9: Remove “published_at”: a file cannot publish a unit."
    )
    assert problems[1].startswith(
        "new.json: unit Z9: There is no field “titel”. Remove it or correct its name; the "
        "fields are: code, slug, title,"
    )


def test_a_criterion_twice_is_refused_within_and_across_files(db):
    within = problems_of(as_file([UNIT, criterion(), criterion(question="Again?")]))
    assert within == [
        "new.json: assessment criterion Z9 1.1 is here twice: as item 2 of new.json and as "
        "item 3 of new.json. Keep one of them."
    ]
    across = problems_of(as_file([UNIT, criterion()], "a.json"), as_file([criterion()], "b.json"))
    assert across == [
        "b.json: assessment criterion Z9 1.1 is here twice: as item 2 of a.json and as item 1 "
        "of b.json. Keep one of them."
    ]


def test_a_language_the_app_does_not_list_is_named_with_the_listed_ones(db):
    [problem] = problems_of(as_file([UNIT, criterion(), answer(language="de")]))
    assert problem.startswith(
        "new.json: model answer Z9 1.1 de, field “language”: “de” is not a language the app "
        "lists. Use one of: en, sr-Cyrl, sr-Latn, ko, zh-Hans,"
    )
    assert problem.endswith("Correct it in the file.")


def test_a_unit_whose_slug_is_another_units_address_is_refused(bank):
    clash = {"model": "units.unit", "fields": {"code": "F3X", "slug": "f3", "title": "Other"}}
    [problem] = problems_of(as_file([clash]))
    assert problem == (
        "new.json: unit F3X, field “slug”: “f3” is already the address of unit F3, a different "
        "unit. Give this unit another slug, or use the code F3 if it is the same unit. "
        "Correct it in the file."
    )
    twins = problems_of(as_file([UNIT, {**UNIT, "fields": {**UNIT["fields"], "code": "Z8"}}]))
    assert twins[0].startswith(
        "new.json: unit Z8, field “slug”: “z9” is already the address of unit Z9"
    )


def test_a_missing_unit_is_named(db):
    problems = problems_of(as_file([UNIT, criterion(), criterion(unit="NOPE")]))
    assert problems == [
        "new.json: assessment criterion NOPE 1.1: Its unit NOPE is neither in the uploaded "
        "files nor in the bank. Add unit NOPE to the upload (in any file, in any order) or "
        "correct the unit code."
    ]
    [orphan] = problems_of(as_file([answer(unit="F3", code="9.9")]))
    assert "model answer F3 9.9 ko: Its criterion F3 9.9 is neither in the uploaded" in orphan


def test_files_may_come_in_any_order_and_name_the_bank(bank):
    new_unit = as_file([UNIT], "unit.json")
    reading = {
        "model": "units.reading",
        "fields": {
            "slug": "z-reading",
            "language": "hr",
            "title": "Čitanje",
            "body": "Tekst.",
            "units": [["Z9"], ["F3"]],
        },
    }
    assert problems_of(as_file([reading], "reading.json"), new_unit) == []


def test_a_unit_without_a_slug_is_reported_on_the_unit_not_its_criterion(db):
    # check_fixtures used to blame the criterion: "Unit matching query does not exist".
    hb4 = {"model": "units.unit", "fields": {"code": "HB4", "title": "Handling"}}
    problems = problems_of(as_file([hb4, criterion(unit="HB4")], "hb4.json"))
    assert problems == [
        "hb4.json: unit HB4, field “slug”: This field cannot be blank. Correct it in the file."
    ]


def test_model_validation_names_the_object_and_the_field(db):
    bad = criterion(code="three")
    problems = problems_of(as_file([UNIT, bad, criterion(code="1.2", question="")]))
    assert problems == [
        "new.json: assessment criterion Z9 three, field “code”: A criterion code is two numbers "
        "with a dot, such as 3.10. Correct it in the file.",
        "new.json: assessment criterion Z9 1.2, field “question”: This field cannot be blank. "
        "Correct it in the file.",
    ]


def test_references_must_be_natural_keys(db):
    [problem] = problems_of(as_file([UNIT, criterion(unit=3) | {}]))
    assert 'field “unit”: Name the unit by its natural key, such as ["F3"].' in problem


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite stores NUL characters")
def test_the_database_constraints_have_their_say(db):
    # The model accepts a NUL in a criterion's question; PostgreSQL does not.
    [problem] = problems_of(as_file([UNIT, criterion(question="Why\x00?")]))
    assert problem.startswith("new.json: assessment criterion Z9 1.1: the database refuses it (")


def test_every_problem_is_reported_not_just_the_first(db):
    bad = [
        {**UNIT, "pk": 1},
        criterion(code="x"),
        criterion(unit="NOPE"),
        answer(language="tlh"),
        {"model": "auth.group", "fields": {"name": "x"}},
    ]
    problems = problems_of(as_file(bad), ("b.json", b"\xff\xfe"), ("c.json", b"[1"))
    assert len(problems) == 8, problems
    assert [problem.split(":")[0] for problem in problems] == ["new.json"] * 6 + [
        "b.json",
        "c.json",
    ]


# --- The plan: created, changed (with a diff), unchanged ------------------------------


def test_the_plan_says_what_is_created_changed_and_unchanged(bank):
    objects = json.loads(FIXTURE_FILES[0].read_text())
    objects[1]["fields"]["question"] = "How does the service offer meet what customers expect?"
    objects.append(criterion(code="3.11", unit="F3"))
    plan = importing.validate_files([as_file(objects, "unit-f3.json")])
    assert plan.ok
    assert [item.name for item in plan.by_action("created")] == ["assessment criterion F3 3.11"]
    [changed] = plan.by_action("changed")
    assert changed.name == "assessment criterion F3 3.1"
    [change] = changed.changes
    assert change.field == "question"
    assert change.diff.pieces == [
        ("same", "How does "),
        ("removed", "your organisation's"),
        ("added", "the"),
        ("same", " service offer meet "),
        ("removed", "customer expectations?"),
        ("added", "what customers expect?"),
    ]
    assert plan.counts()["units.learningoutcome"] == {"created": 1, "changed": 1, "unchanged": 9}


def test_new_units_are_drafts_and_published_units_stay_published(bank):
    f3 = json.loads(FIXTURE_FILES[0].read_text())
    f3[0]["fields"]["title"] = "Customer service, understood"
    load(as_file(f3, "unit-f3.json"), as_file([UNIT, criterion()]))
    assert Unit.objects.get(code="F3").is_published
    assert Unit.objects.get(code="F3").title == "Customer service, understood"
    assert not Unit.objects.get(code="Z9").is_published


def test_fields_a_file_leaves_out_keep_their_value(bank):
    before = Unit.objects.get(code="F3").description
    load(as_file([{"model": "units.unit", "fields": {"code": "F3", "title": "New title"}}]))
    unit = Unit.objects.get(code="F3")
    assert (unit.title, unit.description) == ("New title", before)


def _rows():
    return {
        "units": sorted(
            Unit.objects.values_list(
                "code",
                "slug",
                "title",
                "qualification",
                "group",
                "level",
                "credit",
                "ofqual_ref",
                "description",
            )
        ),  # fmt: skip
        "criteria": sorted(
            LearningOutcome.objects.values_list("unit__code", "code", "outcome", "question")
        ),
        "answers": sorted(
            ModelAnswer.objects.values_list(
                "learning_outcome__unit__code",
                "learning_outcome__code",
                "language",
                "question",
                "body",
                "attribution",
            )
        ),  # fmt: skip
        "introductions": sorted(
            UnitIntroduction.objects.values_list("unit__code", "language", "body", "attribution")
        ),
        "readings": sorted(
            Reading.objects.values_list(
                "slug", "language", "title", "title_en", "body", "attribution"
            )
        ),
        "reading units": sorted(Reading.objects.values_list("slug", "units__code")),
    }


def test_importing_the_committed_fixtures_equals_loaddata(db):
    with transaction.atomic():
        call_command("loaddata", *FIXTURE_FILES, verbosity=0)
        call_command("rebuild_search_index", verbosity=0)
        loaded = _rows()
        indexed = sorted(SearchEntry.objects.values_list("kind", "title", "language", "tokens"))
        transaction.set_rollback(True)
    assert Unit.objects.count() == 0
    load(*committed())
    assert _rows() == loaded
    # Saved normally, so the search index is kept by its signals: no rebuild needed.
    assert sorted(SearchEntry.objects.values_list("kind", "title", "language", "tokens")) == indexed


def test_importing_twice_changes_nothing(bank):
    before = snapshot()
    plan = load(*committed())
    assert {row["created"] + row["changed"] for row in plan.counts().values()} == {0}
    after = snapshot()
    assert after.pop("ContentImport") != before.pop("ContentImport")  # one more log entry
    assert after == before


# --- Applying: one transaction, re-validated, logged, once ----------------------------


def test_applying_logs_who_when_files_and_counts(db):
    ada = make_user("ada", ADMIN, is_staff=True)
    plan = importing.validate_files(committed())
    staged = ContentImport.objects.stage(ada, "content", plan.files)
    importing.content_import_apply(content_import=staged, fingerprint=plan.fingerprint())
    staged.refresh_from_db()
    assert staged.state == ContentImport.State.APPLIED
    assert staged.applied_at is not None
    assert staged.created_by == ada
    assert staged.file_names == [path.name for path in FIXTURE_FILES]
    assert all(len(f["sha256"]) == 64 for f in staged.files)
    assert staged.summary["units.unit"] == {"created": 2, "changed": 0, "unchanged": 0}


def test_a_second_confirmation_loads_nothing(db):
    plan = importing.validate_files([as_file([UNIT, criterion()])])
    staged = ContentImport.objects.stage(None, "content", plan.files)
    importing.content_import_apply(content_import=staged)
    before = snapshot()
    with pytest.raises(importing.ImportRefused, match="already loaded"):
        importing.content_import_apply(content_import=staged)
    assert snapshot() == before


def test_the_bank_changing_after_the_preview_shows_a_new_preview(bank):
    plan = importing.validate_files([as_file([{**UNIT}])])
    staged = ContentImport.objects.stage(None, "content", plan.files)
    Unit.objects.create(code="Z9", slug="z9", title="Typed in the admin meanwhile")
    before = snapshot()
    with pytest.raises(importing.PlanChanged) as changed:
        importing.content_import_apply(content_import=staged, fingerprint=plan.fingerprint())
    assert changed.value.plan.by_action("changed")[0].name == "unit Z9"
    assert snapshot() == before


def test_problems_at_confirmation_load_nothing(bank):
    plan = importing.validate_files([as_file([UNIT, criterion()])])
    staged = ContentImport.objects.stage(None, "content", plan.files)
    Unit.objects.create(code="Y1", slug="z9", title="Took the address meanwhile")
    before = snapshot()
    with pytest.raises(importing.ImportRefused) as refused:
        importing.content_import_apply(content_import=staged)
    assert "already the address of unit Y1" in str(refused.value.problems[0])
    assert snapshot() == before


# --- import_units and check_fixtures -----------------------------------------------


def write(tmp_path, objects, name="new.json"):
    path = tmp_path / name
    path.write_text(json.dumps(objects), encoding="utf-8")
    return str(path)


def test_import_units_dry_run_loads_nothing(db, capsys):
    call_command("import_units", "--dry-run", *map(str, FIXTURE_FILES))
    out = capsys.readouterr().out
    assert "units: 2 created, 0 changed, 0 unchanged" in out
    assert "Dry run: nothing was loaded." in out
    assert Unit.objects.count() == 0
    assert ContentImport.objects.count() == 0


def test_import_units_loads_logs_and_publishes_complete_units(db, tmp_path, capsys):
    gap = [
        {"model": "units.unit", "fields": {"code": "G1", "slug": "g1", "title": "Gap"}},
        criterion(code="1.2", unit="G1"),
    ]
    call_command("import_units", "--publish", *map(str, FIXTURE_FILES), write(tmp_path, gap))
    captured = capsys.readouterr()
    assert "Published unit F3." in captured.out
    assert "Unit G1 stays a draft: Criterion 1.1 is missing" in captured.err
    assert Unit.objects.get(code="F3").is_published
    assert not Unit.objects.get(code="G1").is_published
    entry = ContentImport.objects.get()
    assert (entry.state, entry.created_by, entry.origin) == (
        "applied",
        None,
        "manage.py import_units",
    )
    assert SearchEntry.objects.filter(kind=SearchEntry.Kind.CRITERION).count() == (
        LearningOutcome.objects.count()
    )


def test_import_units_refuses_files_with_problems(db, tmp_path, capsys):
    before = snapshot()
    with pytest.raises(CommandError, match="2 problems found; nothing was loaded."):
        call_command(
            "import_units",
            write(tmp_path, [UNIT, criterion(unit="NOPE")]),
            str(tmp_path / "absent.json"),
        )
    err = capsys.readouterr().err
    assert "absent.json: There is no such file." in err
    assert "Its unit NOPE is neither in the uploaded files nor in the bank" in err
    assert snapshot() == before


def test_import_units_refuses_a_file_over_the_limit_without_reading_it(db, tmp_path, capsys):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as stream:
        stream.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing to read
    with pytest.raises(CommandError):
        call_command("import_units", str(huge))
    assert "more than the limit of 5.0 MB" in plain(capsys.readouterr().err)


# --- The admin pages --------------------------------------------------------------


@pytest.fixture
def ada(db):
    """An admin as a training centre has them: staff in the Admin group, not a superuser."""
    return make_user("ada", ADMIN, is_staff=True)


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


IMPORT_URL = "/admin/units/unit/import/"


def upload(client, *files):
    return client.post(
        IMPORT_URL,
        {"files": [SimpleUploadedFile(name, data, "application/json") for name, data in files]},
    )


def test_the_unit_list_has_the_import_buttons(ada_client):
    page = ada_client.get(reverse("admin:units_unit_changelist")).content.decode()
    assert f'href="{IMPORT_URL}"' in page
    assert "Import units" in page
    try:
        document_url = reverse("admin:units_unit_import_document")
    except NoReverseMatch:  # the study-guide importer is not there (yet)
        return
    assert f'href="{document_url}"' in page
    assert "Turn a study guide into a draft" in page


def test_an_admin_imports_several_files_in_the_browser(ada_client, ada):
    assert reverse("admin:units_unit_import") == IMPORT_URL
    assert ada_client.get(IMPORT_URL).status_code == 200
    response = upload(ada_client, *committed())
    staged = ContentImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == staged.preview_url()
    assert Unit.objects.count() == 0  # staged, not loaded

    page = ada_client.get(staged.preview_url()).content.decode()
    total = sum(row["created"] for row in importing.validate_files(committed()).counts().values())
    assert f"Will be created: {total} objects" in page
    assert "Will change: 0 objects" in page
    assert "unit F3" in page and "unit A/601/2550" in page
    assert 'name="fingerprint"' in page

    fingerprint = importing.plan_import(
        [(f["name"], f["text"]) for f in staged.files]
    ).fingerprint()
    confirmed = ada_client.post(
        reverse("admin:units_contentimport_confirm", args=[staged.pk]),
        {"fingerprint": fingerprint},
        follow=True,
    )
    assert confirmed.redirect_chain[-1][0] == reverse("admin:units_unit_changelist")
    assert "Loaded. units: 2 created, 0 changed, 0 unchanged;" in confirmed.content.decode()
    assert set(Unit.objects.values_list("code", "published_at")) == {
        ("F3", None),
        ("A/601/2550", None),
    }
    staged.refresh_from_db()
    assert (staged.state, staged.created_by) == ("applied", ada)

    # A double click or a second tab: loaded once.
    before = snapshot()
    again = ada_client.post(
        reverse("admin:units_contentimport_confirm", args=[staged.pk]),
        {"fingerprint": fingerprint},
        follow=True,
    )
    assert "This import was already loaded; it is not loaded again." in again.content.decode()
    assert snapshot() == before


def test_the_preview_shows_changes_with_a_diff(ada_client, bank):
    objects = json.loads(FIXTURE_FILES[0].read_text())
    objects[0]["fields"]["title"] = "Demonstrate a good understanding of customer service"
    upload(ada_client, as_file(objects, "unit-f3.json"))
    staged = ContentImport.objects.get(state="staged")
    page = ada_client.get(staged.preview_url()).content.decode()
    assert "Will change: 1 object" in page
    assert (
        'Demonstrate <ins><span class="visually-hidden">[added: </span>a good '
        '<span class="visually-hidden">]</span></ins>understanding of customer service'
    ) in page
    assert "Will be created: 0 objects" in page
    unchanged = len(objects) - 1
    assert f"Stay as they are: {unchanged} objects" in page
    assert Unit.objects.get(code="F3").title == "Demonstrate understanding of customer service"


def test_a_broken_upload_lists_every_problem_and_changes_nothing(ada_client):
    before = snapshot()
    response = upload(
        ada_client,
        as_file([UNIT, criterion(), criterion()], "twice.json"),
        ("latin.json", '[{"x": "Café"}]'.encode("cp1252")),
        ("cut.json", b'[{"model": '),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 problems found: nothing was loaded" in page
    assert "twice.json: assessment criterion Z9 1.1 is here twice" in page
    assert "latin.json: The file is not UTF-8 text: line 1" in page
    assert "cut.json: The file is not valid JSON: at line 1, column 12" in page
    assert snapshot() == before


def test_a_50_mb_file_is_refused_quickly(ada_client):
    huge = b"[" + b" " * (50 * 1024 * 1024) + b"]"
    started = time.monotonic()
    response = upload(ada_client, ("huge.json", huge), as_file([UNIT]))
    assert time.monotonic() - started < 10
    page = plain(response.content.decode())
    # More than an upload may be in all: refused unread (units.uploads).
    assert response.status_code == 413
    assert "The upload is 50.0 MB; at most 20.0 MB can be uploaded here." in page
    assert ContentImport.objects.count() == 0
    assert Unit.objects.count() == 0


def test_an_upload_without_files_asks_for_them(ada_client):
    response = ada_client.post(IMPORT_URL, {})
    assert "This field is required." in response.content.decode()


def test_the_bank_changing_under_the_preview_shows_the_new_one(ada_client):
    upload(ada_client, as_file([UNIT]))
    staged = ContentImport.objects.get()
    page = ada_client.get(staged.preview_url()).content.decode()
    fingerprint = page.split('name="fingerprint" value="')[1].split('"')[0]
    Unit.objects.create(code="Z9", slug="z9", title="Meanwhile")
    response = ada_client.post(
        reverse("admin:units_contentimport_confirm", args=[staged.pk]),
        {"fingerprint": fingerprint},
    )
    assert response.status_code == 409
    assert "The bank has changed since the preview was made" in response.content.decode()
    assert Unit.objects.get(code="Z9").title == "Meanwhile"
    staged.refresh_from_db()
    assert staged.state == "staged"


def test_discarding_loads_nothing(ada_client):
    upload(ada_client, as_file([UNIT]))
    staged = ContentImport.objects.get()
    response = ada_client.post(reverse("admin:units_contentimport_discard", args=[staged.pk]))
    assert response.status_code == 302
    staged.refresh_from_db()
    assert staged.state == "discarded"
    assert Unit.objects.count() == 0
    confirmed = ada_client.post(
        reverse("admin:units_contentimport_confirm", args=[staged.pk]), follow=True
    )
    assert "This import was discarded" in confirmed.content.decode()
    assert Unit.objects.count() == 0


def test_another_admins_staged_import_is_shared_work(client, ada):
    staged = ContentImport.objects.stage(ada, "content", [("z.json", json.dumps([UNIT]))])
    ben = make_user("ben", ADMIN, is_staff=True)
    client.force_login(ben)
    page = client.get(staged.preview_url()).content.decode()
    assert "Uploaded by ada" in page
    assert "unit Z9" in page


def test_the_preview_shows_the_origin_of_a_converted_document(ada_client, ada):
    staged = ContentImport.objects.stage(
        ada, "content", [("f3-ko.json", json.dumps([UNIT]))], origin="001_guide.txt, F3, ko"
    )
    assert "From: 001_guide.txt, F3, ko" in ada_client.get(staged.preview_url()).content.decode()


def test_the_import_log_is_read_only(ada_client, ada):
    staged = ContentImport.objects.stage(ada, "content", [("z.json", json.dumps([UNIT]))])
    log = ada_client.get(reverse("admin:units_contentimport_changelist")).content.decode()
    assert "z.json" in log
    detail = ada_client.get(reverse("admin:units_contentimport_change", args=[staged.pk]))
    page = detail.content.decode()
    assert staged.files[0]["sha256"] in page
    assert 'name="_save"' not in page  # read-only: nothing to save
    assert "Waiting for confirmation" in page
    assert staged.preview_url() in page
    assert ada_client.get(reverse("admin:units_contentimport_add")).status_code == 403
    assert (
        ada_client.get(reverse("admin:units_contentimport_delete", args=[staged.pk])).status_code
        == 403
    )


IMPORT_PAGES = [
    ("admin:units_unit_import", False, "get"),
    ("admin:units_contentimport_preview", True, "get"),
    ("admin:units_contentimport_confirm", True, "post"),
    ("admin:units_contentimport_discard", True, "post"),
]


@pytest.mark.parametrize("name, with_pk, method", IMPORT_PAGES)
def test_import_pages_send_visitors_and_candidates_to_sign_in(client, name, with_pk, method):
    staged = ContentImport.objects.stage(None, "content", [("z.json", json.dumps([UNIT]))])
    url = reverse(name, args=[staged.pk] if with_pk else [])
    for person in (None, make_user("cara", CANDIDATE)):
        if person:
            client.force_login(person)
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert ContentImport.objects.get().state == "staged"


@pytest.mark.parametrize("name, with_pk, method", IMPORT_PAGES)
def test_import_pages_refuse_staff_without_the_permissions(client, name, with_pk, method):
    staged = ContentImport.objects.stage(None, "content", [("z.json", json.dumps([UNIT]))])
    viewer = make_user("vic", is_staff=True)
    viewer.user_permissions.add(
        *Group.objects.get(name=ADMIN).permissions.filter(codename="view_contentimport")
    )
    client.force_login(viewer)
    url = reverse(name, args=[staged.pk] if with_pk else [])
    assert getattr(client, method)(url).status_code == 403
    assert client.get(reverse("admin:units_contentimport_changelist")).status_code == 200
    assert ContentImport.objects.get().state == "staged"


def test_an_unknown_import_is_404(ada_client):
    assert (
        ada_client.get(reverse("admin:units_contentimport_preview", args=[999])).status_code == 404
    )


# --- Query budgets: constant in the number of objects -------------------------------

ONE_OF_EACH = [
    UNIT,
    criterion(),
    answer(),
    {"model": "units.unitintroduction", "fields": {"unit": ["Z9"], "language": "ko", "body": "x"}},
    {
        "model": "units.reading",
        "fields": {"slug": "z", "language": "hr", "title": "Z", "body": "x", "units": [["Z9"]]},
    },
]


def test_the_upload_costs_the_same_for_one_unit_or_many(ada_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        assert ada_client.get(IMPORT_URL).status_code == 200
    small = [as_file(ONE_OF_EACH)]
    with django_assert_max_num_queries(16) as one:
        upload(ada_client, *small)
    with django_assert_max_num_queries(len(one.captured_queries)):
        upload(ada_client, *committed())


def test_the_preview_costs_the_same_for_one_unit_or_many(
    ada_client, ada, bank, django_assert_max_num_queries
):
    small = ContentImport.objects.stage(ada, "content", [("z.json", json.dumps(ONE_OF_EACH))])
    big = ContentImport.objects.stage(
        ada, "content", [(path.name, path.read_text()) for path in FIXTURE_FILES]
    )
    with django_assert_max_num_queries(16) as one:
        assert ada_client.get(small.preview_url()).status_code == 200
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert ada_client.get(big.preview_url()).status_code == 200


def test_check_fixtures_blames_the_unit_without_a_slug_not_its_criterion(db, tmp_path, capsys):
    hb4 = {"model": "units.unit", "fields": {"code": "HB4", "title": "Handling"}}
    path = write(tmp_path, [hb4, criterion(unit="HB4")], "hb4.json")
    with pytest.raises(CommandError, match=r"^1 problem found in 1 fixture file\.$"):
        call_command("check_fixtures", path)
    assert capsys.readouterr().err == (
        f"{path}: unit HB4, field “slug”: This field cannot be blank. Correct it in the file.\n"
    )


def test_check_fixtures_counts_the_objects_it_checked(db, capsys):
    call_command("check_fixtures", *map(str, FIXTURE_FILES))
    total = sum(len(json.loads(path.read_text())) for path in FIXTURE_FILES)
    assert capsys.readouterr().out == f"3 fixture files, {total} objects: no problems.\n"
    assert Unit.objects.count() == 0


def test_an_empty_list_is_nothing_to_import(db):
    assert problems_of(("empty.json", b"[]")) == [
        "empty.json: The file is an empty list: it holds nothing to import."
    ]


def test_import_units_loads_and_logs_nothing_when_the_bank_holds_the_files(bank, capsys):
    call_command("import_units", "--publish", *map(str, FIXTURE_FILES))
    assert "Nothing to load: the bank already holds the files as they are." in (
        capsys.readouterr().out
    )
    assert ContentImport.objects.count() == 1  # the bank fixture's own import


def test_qualifications_and_reading_units_are_imported_by_unit_code(bank):
    qualification = {
        "model": "units.qualification",
        "fields": {"slug": "cs-nvq", "title": "Customer Service NVQ", "units": [["F3"]]},
    }
    readings = json.loads(FIXTURE_FILES[2].read_text())
    readings[0]["fields"]["units"] = [["F3"]]
    plan = load(as_file([qualification]), as_file(readings, "readings.json"))
    [changed] = plan.by_action("changed")
    assert [(c.field, c.old, c.new) for c in changed.changes] == [("units", "A/601/2550, F3", "F3")]
    assert list(Qualification.objects.get().units.values_list("code", flat=True)) == ["F3"]
    slug = readings[0]["fields"]["slug"]
    assert list(Reading.objects.get(slug=slug).units.values_list("code", flat=True)) == ["F3"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_two_confirms_at_the_same_moment_load_once():
    import threading

    plan = importing.validate_files([as_file([UNIT, criterion(), answer()])])
    staged = ContentImport.objects.stage(None, "content", plan.files)
    barrier = threading.Barrier(2)
    results = []

    def confirm():
        try:
            barrier.wait()
            importing.content_import_apply(content_import=ContentImport.objects.get(pk=staged.pk))
            results.append("loaded")
        except importing.ImportRefused as refused:
            results.append(str(refused))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["This import was already loaded; it is not loaded again.", "loaded"]
    assert (LearningOutcome.objects.count(), ModelAnswer.objects.count()) == (1, 1)


def test_the_log_lists_enrolment_imports_too(ada_client, ada):
    ContentImport.objects.create(
        kind="enrolments",
        state="applied",
        created_by=ada,
        files=[{"name": "people.csv", "sha256": "0" * 64, "size": 10, "text": "x"}],
        summary={"units.enrolment": {"created": 3, "unchanged": 1}},
    )
    log = ada_client.get(reverse("admin:units_contentimport_changelist")).content.decode()
    assert "people.csv" in log
    assert "enrolments: 3 created, 0 changed, 1 unchanged" in log


def test_a_field_is_named_as_people_read_it_and_as_the_file_writes_it(db):
    [problem] = problems_of(as_file([UNIT, criterion(outcome="")]))
    assert problem == (
        "new.json: assessment criterion Z9 1.1, field “learning outcome” (outcome): This field "
        "cannot be blank. Correct it in the file."
    )


def test_an_upload_over_its_total_limit_is_refused_by_its_sizes(ada_client):
    three_mb = b"[" + b" " * (3 * 1024 * 1024) + b"]"
    # 20 MB and 16 KB in all: within what a form adds, so read (more is refused unread).
    last = b"[" + b" " * (2 * 1024 * 1024 + 16 * 1024 - 14) + b"]"
    files = [(f"part{n}.json", three_mb) for n in range(1, 7)] + [("part7.json", last)]
    page = plain(upload(ada_client, *files).content.decode())
    assert "part7.json: With this file the upload is more than 20.0 MB in all." in page
    assert "part6.json: With this file" not in page
    assert ContentImport.objects.count() == 0


def test_the_log_costs_the_same_for_one_import_or_many(
    ada_client, ada, django_assert_max_num_queries
):
    def stage(count):
        for n in range(count):
            ContentImport.objects.stage(ada, "content", [(f"z{n}.json", json.dumps([UNIT]))])

    stage(1)
    log = reverse("admin:units_contentimport_changelist")
    with django_assert_max_num_queries(10) as one:
        assert ada_client.get(log).status_code == 200
    stage(20)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert ada_client.get(log).status_code == 200
    entry = ContentImport.objects.first()
    with django_assert_max_num_queries(10):
        detail = reverse("admin:units_contentimport_change", args=[entry.pk])
        assert ada_client.get(detail).status_code == 200


def test_problems_found_at_confirmation_are_shown_and_nothing_loads(ada_client):
    upload(ada_client, as_file([UNIT, criterion()]))
    staged = ContentImport.objects.get()
    Unit.objects.create(code="Y1", slug="z9", title="Took the address meanwhile")
    before = snapshot()
    response = ada_client.post(
        reverse("admin:units_contentimport_confirm", args=[staged.pk]), follow=True
    )
    page = response.content.decode()
    assert "The files have problems now; nothing was loaded." in page
    assert "“z9” is already the address of unit Y1" in page
    assert 'value="Confirm and load"' not in page
    assert snapshot() == before


def test_hostile_names_and_values_are_shown_as_text(ada_client):
    hostile = '<img src=x onerror="alert(1)">'
    bad = [UNIT, criterion(), answer(language=hostile), {"model": hostile, "fields": {}}]
    page = upload(ada_client, as_file(bad, f"{hostile}.json")).content.decode()
    assert hostile not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.json: " in page


# --- The log reads names and hashes, not the files' text; hashes of the bytes ------------


def test_the_log_list_does_not_read_the_files_text(ada_client, ada, django_assert_max_num_queries):
    big = json.dumps([{**UNIT, "fields": {**UNIT["fields"], "title": "x" * 200_000}}])
    for n in range(15):
        ContentImport.objects.stage(ada, "content", [(f"big{n}.json", big)])
    log = reverse("admin:units_contentimport_changelist")
    # Session, user, permissions, counts, the date hierarchy and the rows: as for one import.
    with django_assert_max_num_queries(10) as captured:
        page = ada_client.get(log).content.decode()
    assert "big14.json" in page and "big0.json" in page
    assert all("x" * 1000 not in query["sql"] for query in captured.captured_queries)
    selects = [q["sql"] for q in captured.captured_queries if '"units_contentimport"' in q["sql"]]
    assert selects and all('"units_contentimport"."files"' not in sql for sql in selects)
    entry = ContentImport.objects.first()
    detail = ada_client.get(reverse("admin:units_contentimport_change", args=[entry.pk]))
    assert entry.file_list[0]["sha256"] in detail.content.decode()


def test_the_logged_hash_is_the_files_own_with_its_bom(ada_client, ada):
    import hashlib

    name, data = as_file([UNIT])
    data = b"\xef\xbb\xbf" + data
    upload(ada_client, (name, data))
    staged = ContentImport.objects.get()
    assert staged.files[0]["sha256"] == hashlib.sha256(data).hexdigest()  # as sha256sum says
    assert staged.files[0]["size"] == len(data)
    assert staged.file_list == [
        {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    ]
    assert not staged.files[0]["text"].startswith("\ufeff")


# --- Nesting: a sentence, not a 500 -------------------------------------------------------

TOO_DEEP = "is nested too deeply to be a fixture"


def test_deeply_nested_json_is_a_problem_not_a_crash(db):
    [problem] = problems_of(("deep.json", b"[" * 2_000_000 + b"]" * 2_000_000))
    assert problem.startswith(f"deep.json: The file {TOO_DEEP}")
    deep_value = "[" * 900 + "]" * 900  # parses, but deeper than any fixture
    raw = '[{"model": "units.unit", "fields": {"code": "Z9", "slug": "z9", "title": %s}}]'
    [problem] = problems_of(("value.json", (raw % deep_value).encode()))
    assert TOO_DEEP in problem


def test_deeply_nested_json_in_the_admin_and_the_commands(ada_client, tmp_path, capsys):
    response = upload(ada_client, ("deep.json", b"[" * 100_000 + b"]" * 100_000))
    assert response.status_code == 200
    assert f"deep.json: The file {TOO_DEEP}" in response.content.decode()
    assert ContentImport.objects.count() == 0
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    for command in ("import_units", "check_fixtures"):
        with pytest.raises(CommandError, match="1 problem found"):
            call_command(command, str(path))
        assert f"deep.json: The file {TOO_DEEP}" in capsys.readouterr().err
    assert Unit.objects.count() == 0


# --- Published units: never left incomplete by an import; changes go live ------------------

GAP = "Criterion 9.1 is missing: the criteria of an outcome are numbered from 1 without a gap."


def refusal(file="new.json"):
    return (
        f"{file}: unit F3 is published, and after this import: {GAP} "
        "Unpublish it first, or correct the file."
    )


def test_an_import_that_would_leave_a_published_unit_incomplete_is_refused(bank):
    assert problems_of(as_file([criterion("9.2", unit="F3")])) == [refusal()]
    # An answer to the new criterion in another file: still the first file that touches F3.
    files = as_file([criterion("9.2", unit="F3")], "a.json"), as_file([answer("9.2", unit="F3")])
    assert problems_of(*files) == [refusal("a.json")]
    # A draft may have gaps: it is not live.
    Unit.objects.filter(code="F3").update(published_at=None)
    assert problems_of(as_file([criterion("9.2", unit="F3")])) == []


def test_the_admin_and_import_units_refuse_it_and_nothing_changes(ada_client, bank, tmp_path):
    before = snapshot()
    page = upload(ada_client, as_file([criterion("9.2", unit="F3")])).content.decode()
    assert "1 problem found: nothing was loaded" in page
    assert "new.json: unit F3 is published, and after this import: Criterion 9.1 is missing" in (
        page
    )
    path = write(tmp_path, [criterion("9.2", unit="F3")])
    with pytest.raises(CommandError, match="1 problem found"):
        call_command("import_units", path)
    assert snapshot() == before
    assert Unit.objects.get(code="F3").is_published


def test_the_check_runs_again_at_confirmation(ada_client, bank):
    Unit.objects.filter(code="F3").update(published_at=None)
    upload(ada_client, as_file([criterion("9.2", unit="F3")]))
    staged = ContentImport.objects.get(state="staged")
    Unit.objects.filter(code="F3").update(published_at=timezone.now())  # published meanwhile
    before = snapshot()
    response = ada_client.post(
        reverse("admin:units_contentimport_confirm", args=[staged.pk]), follow=True
    )
    page = response.content.decode()
    assert "The files have problems now; nothing was loaded." in page
    assert "unit F3 is published, and after this import: Criterion 9.1 is missing" in page
    assert snapshot() == before
    staged.refresh_from_db()
    assert staged.state == "staged"


def test_a_complete_change_to_a_published_unit_loads_and_the_preview_says_it_goes_live(
    ada_client, bank
):
    upload(ada_client, as_file([criterion("9.1", unit="F3"), answer("9.1", unit="F3")]))
    staged = ContentImport.objects.get(state="staged")
    page = ada_client.get(staged.preview_url()).content.decode()
    assert (
        "Unit F3 is published: these changes go live for its enrolled candidates as soon as "
        "you confirm."
    ) in page
    response = ada_client.post(
        reverse("admin:units_contentimport_confirm", args=[staged.pk]),
        {"fingerprint": page.split('name="fingerprint" value="')[1].split('"')[0]},
    )
    assert response.status_code == 302
    f3 = Unit.objects.get(code="F3")
    assert f3.is_published
    assert f3.criteria.filter(code="9.1").exists()
    assert ModelAnswer.objects.filter(learning_outcome__unit=f3, learning_outcome__code="9.1")


def test_the_preview_of_drafts_only_says_nothing_goes_live(ada_client):
    upload(ada_client, as_file([UNIT, criterion()]))
    page = ada_client.get(ContentImport.objects.get().preview_url()).content.decode()
    assert "go live" not in page


# --- Limits: objects per upload, problems listed ----------------------------------------


def many_units(count, start=0):
    return [
        {"model": "units.unit", "fields": {"code": f"Z{n}", "slug": f"z{n}", "title": "Zed"}}
        for n in range(start, start + count)
    ]


def test_an_upload_of_more_objects_than_the_limit_is_refused_before_any_write(
    ada_client, django_assert_max_num_queries
):
    files = [as_file(many_units(3_000), "a.json"), as_file(many_units(2_001, 3_000), "b.json")]
    with django_assert_max_num_queries(0):
        importing.validate_files(files)  # refused before the bank is read
    assert problems_of(*files) == [
        "b.json: With this file the upload holds 5001 objects in all, more than the limit of "
        "5000 for one import. Import the files in several goes (a few units at a time)."
    ]
    page = upload(ada_client, *files).content.decode()
    assert "b.json: With this file the upload holds 5001 objects in all" in page
    assert ContentImport.objects.count() == 0
    assert problems_of(as_file(many_units(5_000))) == []  # the limit itself is allowed


def test_only_the_first_hundred_problems_are_listed(ada_client, tmp_path, capsys):
    orphans = [criterion(f"1.{n}", unit="Q1") for n in range(1, 151)]
    page = upload(ada_client, as_file(orphans)).content.decode()
    assert "150 problems found: nothing was loaded" in page
    assert page.count("Its unit Q1 is neither in the uploaded files nor in the bank") == 100
    assert "… and 50 more problems: correct these first, then check the files again." in page
    path = write(tmp_path, orphans)
    for command in ("import_units", "check_fixtures"):
        with pytest.raises(CommandError, match="150 problems found"):
            call_command(command, path)
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 101
        assert (
            lines[-1] == "… and 50 more problems: correct these first, then check the files again."
        )


def test_the_previews_text_carries_its_language(ada_client, bank):
    """A changed Korean model answer is marked Korean, a unit's English title English."""
    objects = json.loads(FIXTURE_FILES[0].read_text())
    objects[0]["fields"]["title"] = "Demonstrate a good understanding of customer service"
    answer = next(
        o for o in objects if o["model"] == "units.modelanswer" and o["fields"]["language"] == "ko"
    )
    answer["fields"]["body"] += "\n\n추가 문단."
    upload(ada_client, as_file(objects, "unit-f3.json"))
    page = ada_client.get(ContentImport.objects.get(state="staged").preview_url())
    html = page.content.decode()
    assert '<div class="import-diff" lang="en">Demonstrate' in html
    assert '<div class="import-diff" lang="ko">' in html
