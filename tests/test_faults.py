"""Faults: the database refuses a write; a fixture is broken; a backup is restored."""

import json

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from units import services
from units.models import (
    Answer,
    Assignment,
    AuditEntry,
    Comment,
    Decision,
    LearningOutcome,
    ModelAnswer,
    Reading,
    Revision,
    Unit,
    UnitIntroduction,
)

from .conftest import JSON, page_owner

CONTENT = [Unit, LearningOutcome, ModelAnswer, UnitIntroduction, Reading]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="locks a table from a second connection"
)
def test_a_save_the_database_refuses_gets_a_clear_error_and_loses_nothing(
    client, people, criterion
):
    services.draft_save(
        candidate=people["alice"], criterion=criterion, text="Saved before.", base_version=0
    )
    client.force_login(people["alice"])
    settings = connection.settings_dict
    blocker = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"]
    )
    try:
        with blocker.cursor() as cursor:
            cursor.execute("SET lock_timeout = '10s'")
            # Readers may go on; writers must wait.
            cursor.execute("LOCK TABLE units_answer IN EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        response = client.post(
            reverse("units:save", kwargs={"unit": criterion.unit.slug, "code": criterion.code}),
            {"text": "New words.", "version": 1, "owner": page_owner(client)},
            **JSON,
        )
    finally:
        blocker.rollback()
        blocker.close()
    assert response.status_code == 503
    assert "kept in this browser" in response.json()["message"]
    assert Answer.objects.get().text == "Saved before."


def unit(code="Q9"):
    return {"model": "units.unit", "fields": {"code": code, "slug": code.lower(), "title": "Q"}}


def criterion(code="1.1", unit_code="Q9"):
    return {
        "model": "units.learningoutcome",
        "fields": {"unit": [unit_code], "code": code, "outcome": "LO1", "question": "Why?"},
    }


def answer(language="ko", code="1.1"):
    return {
        "model": "units.modelanswer",
        "fields": {"learning_outcome": ["Q9", code], "language": language, "body": "답"},
    }


# For each content model: valid objects, then a broken object of that model.
BROKEN = {
    "unit": [unit(), {"model": "units.unit", "fields": {"code": "Q8", "title": "no slug"}}],
    "learningoutcome": [unit(), criterion(), criterion(unit_code="MISSING")],
    "modelanswer": [unit(), criterion(), answer(), answer(code="9.9")],
    "unitintroduction": [
        unit(),
        {
            "model": "units.unitintroduction",
            "fields": {"unit": ["Q9"], "language": "ko", "body": "x"},
        },
        {
            "model": "units.unitintroduction",
            "fields": {"unit": ["NOPE"], "language": "ko", "body": "x"},
        },
    ],
    "reading": [
        unit(),
        {
            "model": "units.reading",
            "fields": {
                "slug": "ok",
                "language": "hr",
                "title": "T",
                "body": "B",
                "units": [["Q9"]],
            },
        },
        {
            "model": "units.reading",
            "fields": {
                "slug": "bad",
                "language": "hr",
                "title": "T",
                "body": "B",
                "units": [["NOPE"]],
            },
        },
    ],
}


@pytest.mark.django_db
@pytest.mark.parametrize("model", sorted(BROKEN))
def test_a_broken_fixture_never_loads_partly(tmp_path, model):
    path = tmp_path / f"broken-{model}.json"
    path.write_text(json.dumps(BROKEN[model]), encoding="utf-8")
    # The error names the file, or what it points at that is not there.
    with pytest.raises(Exception, match="broken-|NOPE|MISSING|9.9|slug"):
        call_command("loaddata", path, verbosity=0)
    assert {m.__name__: m.objects.count() for m in CONTENT} == dict.fromkeys(
        (m.__name__ for m in CONTENT), 0
    )


def everything():
    """Every row that matters, by natural values rather than database ids."""
    return {
        "units": sorted(Unit.objects.values_list("code", "title", "level")),
        "criteria": sorted(LearningOutcome.objects.values_list("unit__code", "code", "question")),
        "answers": sorted(
            ModelAnswer.objects.values_list("learning_outcome__code", "language", "body")
        ),
        "intros": UnitIntroduction.objects.count(),
        "readings": sorted(Reading.objects.values_list("slug", "units__code")),
        "work": sorted(
            Answer.objects.values_list(
                "candidate__username", "learning_outcome__code", "text", "status", "version"
            )
        ),
        "revisions": sorted(
            Revision.objects.values_list("answer__candidate__username", "number", "text")
        ),
        "comments": sorted(
            Comment.objects.values_list("author__username", "body", "quote", "quote_start")
        ),
        "decisions": sorted(
            Decision.objects.values_list("assessor__username", "outcome", "reason")
        ),
        "audit": sorted(
            AuditEntry.objects.values_list("actor__username", "action", "from_status", "to_status")
        ),
        "assignments": sorted(
            Assignment.objects.values_list("candidate__username", "assessor__username")
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_everything(content, tmp_path):
    call_command("seed_demo", "--force", verbosity=0)
    before = everything()
    assert before["work"] and before["comments"] and before["decisions"] and before["audit"]
    backup = tmp_path / "backup.json"
    call_command(
        "dumpdata", "--natural-foreign", "--natural-primary",
        "--exclude", "contenttypes", "--exclude", "auth.permission",
        "--exclude", "sessions", "--exclude", "admin.logentry",
        "--output", str(backup), verbosity=0,
    )  # fmt: skip
    call_command("flush", "--no-input", verbosity=0)
    assert Answer.objects.count() == 0 and Unit.objects.count() == 0
    call_command("loaddata", str(backup), verbosity=0)
    assert everything() == before
