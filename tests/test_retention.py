"""People's data by the rules: deactivating at once, anonymising after the retention
period (the records stay readable, the counts the same), and a person's own data."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from post_office.models import Email

from units import retention, services, signoff
from units.errors import TransitionNotAllowed
from units.models import (
    Answer,
    AuditEntry,
    Comment,
    Decision,
    PortfolioExport,
    Profile,
    RecordAccess,
    Revision,
    SearchEntry,
    SecurityEvent,
    UnitSignOff,
)

from .conftest import make_unit, run_queued_tasks

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def record(people, client):
    """Alice's assessed work: 1.1 accepted, 1.2 returned with a quoted passage and her
    reply, a sign-in; Carol's decisions."""
    unit = make_unit("R1", criteria=2)
    first, second = unit.criteria.get(code="1.1"), unit.criteria.get(code="1.2")
    accepted = services.draft_submit(
        candidate=people["alice"], criterion=first, text="Alice wrote this at Acme Ltd.",
        base_version=0, declaration=True, ip="198.51.100.7",
    )  # fmt: skip
    services.answer_accept(answer=accepted.answer, assessor=people["carol"], ip="203.0.113.5")
    returned = services.draft_submit(
        candidate=people["alice"], criterion=second, text="My manager Bob Smith helps.",
        base_version=0, declaration=True, ip="198.51.100.7",
    )  # fmt: skip
    services.comment_add(
        answer=returned.answer, author=people["carol"], body="Who else helps?",
        quote="Bob Smith",
    )  # fmt: skip
    services.answer_return(answer=returned.answer, assessor=people["carol"])
    services.comment_add(answer=returned.answer, author=people["alice"], body="My team.")
    client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    client.logout()
    return unit


def counts():
    return (
        Answer.objects.count(),
        Revision.objects.count(),
        Comment.objects.count(),
        Decision.objects.count(),
        AuditEntry.objects.count(),
        SecurityEvent.objects.count(),
    )


def past_the_period(person):
    Profile.objects.filter(user=person).update(
        deactivated_at=timezone.now() - retention.retention_period() - timedelta(days=1)
    )


def test_deactivating_signs_the_person_out_at_their_next_request(client, people):
    client.force_login(people["alice"])
    assert client.get(reverse("units:progress")).status_code == 200
    assert retention.person_deactivate(person=people["alice"], by=people["admin"])
    response = client.get(reverse("units:progress"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    profile = Profile.objects.get(user=people["alice"])
    assert profile.deactivated_at is not None
    assert retention.person_deactivate(person=people["alice"]) is False  # already


def test_anonymising_is_refused_until_the_retention_period_is_over(people, record):
    with pytest.raises(TransitionNotAllowed):
        retention.person_anonymise(person=people["alice"])  # still active
    retention.person_deactivate(person=people["alice"])
    with pytest.raises(TransitionNotAllowed):
        retention.person_anonymise(person=people["alice"])  # within the period
    assert User.objects.get(pk=people["alice"].pk).username == "alice"


def test_anonymising_replaces_who_they_were_and_what_they_wrote(people, record):
    alice = people["alice"]
    retention.person_deactivate(person=alice)
    past_the_period(alice)
    sender = "bank@example.com"
    Email.objects.create(from_email=sender, to=["alice@example.com"], subject="About Alice")
    Email.objects.create(from_email=sender, to=["xalice@example.com"], subject="Someone else")
    AccessAttempt.objects.create(
        username="alice", ip_address="198.51.100.7", failures_since_start=1
    )
    PortfolioExport.objects.create(
        requested_by=people["carol"], person=alice, kind="portfolio", file_format="pdf",
        language="en-gb", expires_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    before = counts()
    assert SearchEntry.objects.filter(owner=alice).exists()

    retention.person_anonymise(person=alice)

    alice = User.objects.get(pk=alice.pk)
    assert (alice.username, alice.first_name, alice.last_name, alice.email) == (
        f"former-{alice.pk}", "Former candidate", str(alice.pk), "",
    )  # fmt: skip
    assert not alice.has_usable_password() and not alice.is_active
    assert counts() == before  # every row is still there
    assert set(Answer.objects.filter(candidate=alice).values_list("text", flat=True)) == {
        retention.REMOVED
    }
    assert set(Revision.objects.filter(answer__candidate=alice).values_list("text", flat=True)) == {
        retention.REMOVED
    }
    assert list(
        Revision.objects.filter(answer__candidate=alice).values_list("word_count", flat=True)
    ) == [6, 5]
    assert Comment.objects.get(author=alice).body == retention.REMOVED
    carols = Comment.objects.get(author=people["carol"])
    assert (carols.body, carols.quote) == ("Who else helps?", retention.REMOVED)  # her words stay
    assert not AuditEntry.objects.filter(actor=alice).exclude(ip_address=None).exists()
    assert Decision.objects.filter(ip_address="203.0.113.5").count() == 1  # Carol's address: hers
    events = SecurityEvent.objects.filter(username__in=["alice", f"former-{alice.pk}"])
    assert events.count() == 3 and {e.username for e in events} == {f"former-{alice.pk}"}
    assert (
        not events.exclude(ip_address=None).exists() and not events.exclude(user_agent="").exists()
    )
    subjects = set(Email.objects.values_list("subject", flat=True))
    assert "About Alice" not in subjects and "Someone else" in subjects
    assert not AccessAttempt.objects.exists() and not PortfolioExport.objects.exists()
    assert not SearchEntry.objects.filter(owner=alice).exists()
    assert Profile.objects.get(user=alice).anonymised_at is not None
    # The audit chain still reads, with the pseudonym.
    submitted = AuditEntry.objects.filter(actor=alice).first()
    assert f"Former candidate {alice.pk}" in submitted.sentence
    assert "submitted revision 1." in submitted.sentence


def test_the_assessors_record_reads_with_the_pseudonym(client, people, record):
    retention.person_deactivate(person=people["alice"])
    past_the_period(people["alice"])
    retention.person_anonymise(person=people["alice"])
    client.force_login(people["carol"])
    answer = Answer.objects.get(candidate=people["alice"], learning_outcome__code="1.2")
    page = client.get(reverse("units:review", kwargs={"pk": answer.pk})).content.decode()
    assert f"Former candidate {people['alice'].pk}" in page
    assert retention.REMOVED in page and "Bob Smith" not in page and "Acme" not in page


def test_an_anonymised_assessor_keeps_their_comments_on_others_records(people, record):
    carol = people["carol"]
    retention.person_deactivate(person=carol)
    past_the_period(carol)
    retention.person_anonymise(person=carol)
    carol = User.objects.get(pk=carol.pk)
    assert carol.get_full_name() == f"Former assessor {carol.pk}"
    assert Comment.objects.get(author=carol).body == "Who else helps?"
    assert Decision.objects.filter(assessor=carol, ip_address__isnull=False).count() == 0


def test_apply_retention_has_a_dry_run(people, record, capsys):
    retention.person_deactivate(person=people["alice"])
    retention.person_deactivate(person=people["bob"])
    past_the_period(people["alice"])
    call_command("apply_retention", "--dry-run")
    out = capsys.readouterr().out
    assert "alice: deactivated" in out and "would be anonymised" in out and "bob" not in out
    assert User.objects.get(pk=people["alice"].pk).username == "alice"
    call_command("apply_retention")
    out = capsys.readouterr().out
    assert "1 person past the retention period" in out
    assert User.objects.get(pk=people["alice"].pk).username.startswith("former-")
    assert User.objects.get(pk=people["bob"].pk).username == "bob"  # within the period


def test_apply_retention_deletes_old_delivered_notifications(people, settings):
    from post_office.models import STATUS

    sender, long_ago = "bank@example.com", timezone.now() - timedelta(days=91)
    old = Email.objects.create(from_email=sender, to=["carol@example.com"], status=STATUS.sent)
    waiting = Email.objects.create(
        from_email=sender, to=["carol@example.com"], status=STATUS.queued
    )
    recent = Email.objects.create(from_email=sender, to=["carol@example.com"], status=STATUS.sent)
    Email.objects.filter(pk__in=[old.pk, waiting.pk]).update(created=long_ago)
    call_command("apply_retention", verbosity=0)
    assert set(Email.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}


def test_the_admin_deactivates_and_anonymises_from_the_people_list(client, people, record):
    client.force_login(people["admin"])
    changelist = reverse("admin:auth_user_changelist")
    client.post(
        changelist, {"action": "deactivate_people", "_selected_action": [people["alice"].pk]}
    )
    assert not User.objects.get(pk=people["alice"].pk).is_active
    client.post(
        changelist, {"action": "anonymise_people", "_selected_action": [people["alice"].pk]}
    )
    assert User.objects.get(pk=people["alice"].pk).username == "alice"  # within the period
    past_the_period(people["alice"])
    client.post(
        changelist, {"action": "anonymise_people", "_selected_action": [people["alice"].pk]}
    )
    assert User.objects.get(pk=people["alice"].pk).username.startswith("former-")


def test_the_delete_page_says_what_to_do_instead(client, people, record):
    client.force_login(people["admin"])
    page = client.get(reverse("admin:auth_user_delete", args=[people["alice"].pk]))
    html = page.content.decode()
    assert "cannot be deleted" in html and "Deactivate now" in html
    response = client.post(reverse("admin:auth_user_deactivate", args=[people["alice"].pk]))
    assert response.status_code == 302
    alice = User.objects.get(pk=people["alice"].pk)
    assert not alice.is_active and Profile.objects.get(user=alice).deactivated_at
    change = client.get(reverse("admin:auth_user_change", args=[alice.pk])).content.decode()
    assert "Their records are kept until" in change


def test_unticking_active_in_the_admin_starts_the_clock_and_ticking_stops_it(client, people):
    from units.admin_records import data_protection_status

    retention.person_deactivate(person=people["bob"])
    assert Profile.objects.get(user=people["bob"]).deactivated_at is not None
    retention.person_reactivate(person=people["bob"])
    assert Profile.objects.get(user=people["bob"]).deactivated_at is None
    assert data_protection_status(User.objects.get(pk=people["bob"].pk)).startswith("Active.")


def test_a_person_downloads_everything_the_bank_holds_about_them(client, people, record):
    unit = record
    signoff_unit = make_unit("R2", criteria=1)
    revision = services.draft_submit(
        candidate=people["alice"], criterion=signoff_unit.criteria.get(), text="Ready.",
        base_version=0, declaration=True,
    )  # fmt: skip
    services.answer_accept(answer=revision.answer, assessor=people["carol"])
    signoff.unit_sign_off(candidate=people["alice"], unit=signoff_unit, assessor=people["carol"])
    # Carol comments on a new revision but has not decided: not Alice's to read yet.
    answer = Answer.objects.get(
        candidate=people["alice"], learning_outcome__code="1.2", learning_outcome__unit=unit
    )
    services.draft_submit(
        candidate=people["alice"], criterion=answer.learning_outcome, text="My team and Bob.",
        base_version=Answer.objects.get(pk=answer.pk).version, declaration=True,
    )  # fmt: skip
    services.comment_add(
        answer=Answer.objects.get(pk=answer.pk),
        author=people["carol"],
        body="Draft note, not given yet.",
    )
    client.force_login(people["carol"])
    client.get(reverse("units:portfolio", kwargs={"pk": people["alice"].pk}))  # logged

    client.force_login(people["alice"])
    page = client.get(reverse("units:personal_data")).content.decode()
    assert "Prepare my data" in page
    client.post(reverse("units:export_personal_data"))
    run_queued_tasks()
    export = PortfolioExport.objects.get(person=people["alice"])
    assert (export.kind, export.status, export.requested_by) == (
        "personal_data",
        "ready",
        people["alice"],
    )
    archive = zipfile.ZipFile(io.BytesIO(bytes(export.content)))
    json_name = next(n for n in archive.namelist() if n.endswith(".json"))
    data = json.loads(archive.read(json_name))
    assert (
        data["account"]["username"] == "alice" and data["account"]["email"] == "alice@example.com"
    )
    assert {e["unit"] for e in data["enrolments"]} >= {"R1", "R2"}
    assert [a["username"] for a in data["your_assessors"]] == ["carol"]
    kinds = [e["kind"] for e in data["sign_in_events"]]
    assert "signed_in" in kinds and "sign_in_failed" in kinds
    texts = {d["text"] for d in data["current_drafts"]}
    assert "Alice wrote this at Acme Ltd." in texts
    units = {u["code"]: u for u in data["portfolio"]}
    comments = [c["body_markdown"] for c in units["R1"]["criteria"][1]["comments"]]
    assert "Who else helps?" in comments and "Draft note, not given yet." not in comments
    assert units["R2"]["sign_offs"][0]["signed_off_by"]["username"] == "carol"
    readers = [a["reader"]["username"] for a in data["who_read_or_exported_your_records"]]
    assert "carol" in readers
    # Nobody else's data: Bob's and Dave's names appear nowhere.
    raw = archive.read(json_name).decode()
    assert '"bob"' not in raw and '"dave"' not in raw
    pdf = archive.read(next(n for n in archive.namelist() if n.endswith(".pdf")))
    assert pdf.startswith(b"%PDF-")
    # It is Alice's alone.
    client.force_login(people["carol"])
    assert client.get(reverse("units:download_export", kwargs={"pk": export.pk})).status_code == 404


def test_anyone_may_ask_for_their_own_data_only(client, people):
    client.force_login(people["tom"])
    client.post(reverse("units:export_personal_data"), {"person": people["alice"].pk})
    export = PortfolioExport.objects.get()
    assert (export.person, export.requested_by) == (people["tom"], people["tom"])
    assert RecordAccess.objects.filter(kind="export_requested", person=people["tom"]).exists()


def test_sign_offs_keep_the_candidate_row_after_anonymising(people):
    unit = make_unit("R3", criteria=1)
    revision = services.draft_submit(
        candidate=people["alice"], criterion=unit.criteria.get(), text="x", base_version=0,
        declaration=True,
    )  # fmt: skip
    services.answer_accept(answer=revision.answer, assessor=people["carol"])
    signoff.unit_sign_off(candidate=people["alice"], unit=unit, assessor=people["carol"])
    retention.person_deactivate(person=people["alice"])
    past_the_period(people["alice"])
    retention.person_anonymise(person=people["alice"])
    assert UnitSignOff.objects.get().candidate_id == people["alice"].pk


def test_one_person_who_cannot_be_anonymised_leaves_the_others_done(people, record, capsys):
    for person in (people["alice"], people["bob"]):
        retention.person_deactivate(person=person)
        past_the_period(person)
    # A real fault: the pseudonym's username is taken, so saving Alice fails.
    User.objects.create_user(username=f"former-{people['alice'].pk}")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="1 could not be anonymised"):
        call_command("apply_retention")
    assert "alice: could not be anonymised" in capsys.readouterr().err
    assert User.objects.get(pk=people["alice"].pk).username == "alice"
    assert Answer.objects.filter(candidate=people["alice"]).exclude(text=retention.REMOVED).exists()
    assert User.objects.get(pk=people["bob"].pk).username == f"former-{people['bob'].pk}"


def test_the_logs_allow_only_addresses_and_notes_to_be_redacted(people, record):
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(actor=people["alice"]).redact(action="accept")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(actor=people["alice"]).update(note="")
    assert AuditEntry.objects.filter(actor=people["alice"]).redact(ip_address=None) >= 1
