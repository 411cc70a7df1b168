"""The internal verifier's verdict on a sampled decision, and what the assessor sees."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from post_office.models import Email

from units import services, signoff, verification
from units.errors import Invalid, TransitionNotAllowed
from units.models import (
    Action,
    Answer,
    AuditEntry,
    Decision,
    Profile,
    RecordAccess,
    SignOffEvent,
    UnitSignOff,
    Verification,
)

pytestmark = pytest.mark.django_db


def accepted(candidate, criterion, assessor, text="My own words about teamwork."):
    revision = services.draft_submit(
        candidate=candidate, criterion=criterion, text=text, base_version=0, declaration=True
    )
    services.comment_add(
        answer=revision.answer, author=assessor, body="Good: *teamwork*.", quote="teamwork"
    )
    services.answer_accept(answer=revision.answer, assessor=assessor)
    return Decision.objects.get(answer=revision.answer, outcome="accepted")


@pytest.fixture
def decision(people, criterion):
    return accepted(people["alice"], criterion, people["carol"])


def page(decision):
    return reverse("units:sample_decision", kwargs={"pk": decision.pk})


def test_the_sampled_decision_opens_read_only_with_everything_decided_on(client, people, decision):
    client.force_login(people["grace"])
    response = client.get(page(decision))
    html = response.content.decode()
    assert response.status_code == 200
    assert "My own words about" in html and '<mark class="passage"' in html  # the revision
    assert "Good: <em>teamwork</em>." in html  # the comment, rendered
    assert "</bdi> accepted revision 1." in html  # the history
    assert "Accepted" in html and "by <bdi>carol</bdi>" in html  # the decision
    # Nothing of the assessor's pages: no comment box, no decision form.
    assert 'name="quote"' not in html and 'value="accept"' not in html
    assert RecordAccess.objects.filter(
        reader=people["grace"], person=people["alice"], kind="viewed"
    ).exists()


def test_agreeing_records_the_verdict_and_tells_the_assessor(client, people, decision):
    client.force_login(people["grace"])
    response = client.post(
        reverse("units:verdict", kwargs={"pk": decision.pk}),
        {"verdict": "agree", "feedback": "Clear feedback to the candidate."},
    )
    assert response.status_code == 302
    found = Verification.objects.get(decision=decision)
    assert (found.verdict, found.verifier, found.reopened) == ("agree", people["grace"], False)
    assert found.ip_address == "127.0.0.1"
    assert Answer.objects.get(pk=decision.answer_id).status == "accepted"
    email = Email.objects.get(subject__contains="agrees with your decision")
    assert email.to == ["carol@example.com"]
    assert Profile.objects.get(user=people["carol"]).unread_verifications == 1
    # The page now shows the verdict instead of the form.
    html = client.get(page(decision)).content.decode()
    assert "Record the verdict" not in html and "Clear feedback to the candidate." in html


def test_a_disagreement_needs_a_reason_and_an_action_names_it(people, decision):
    for verdict, fields, message in [
        ("disagree", {}, "Give the reason you disagree"),
        ("action", {"reason": "x"}, "Say what the assessor should do."),
        ("agree", {"reopen": True}, "Only a disagreement can reopen the answer."),
        ("maybe", {}, "Choose a verdict"),
    ]:
        with pytest.raises(Invalid, match=message):
            verification.decision_verify(
                decision=decision, verifier=people["grace"], verdict=verdict, **fields
            )
    assert not Verification.objects.exists()
    action = verification.decision_verify(
        decision=decision, verifier=people["grace"], verdict="action",
        action="Quote the criterion in your feedback.", reason="ignored",
    )  # fmt: skip
    assert (action.action, action.reason) == ("Quote the criterion in your feedback.", "")


def test_a_verifier_cannot_verify_their_own_decision_or_verify_twice(people, criterion):
    people["grace"].groups.add(*people["carol"].groups.all())  # Grace assesses too
    from units.models import Assignment

    Assignment.objects.create(candidate=people["alice"], assessor=people["grace"])
    own = accepted(people["alice"], criterion, people["grace"])
    with pytest.raises(TransitionNotAllowed, match="your own assessment decisions"):
        verification.decision_verify(decision=own, verifier=people["grace"], verdict="agree")
    other = accepted(people["bob"], criterion.unit.criteria.get(code="1.1"), people["carol"])
    verification.decision_verify(decision=other, verifier=people["grace"], verdict="agree")
    with pytest.raises(TransitionNotAllowed, match="already verified this decision"):
        verification.decision_verify(decision=other, verifier=people["admin"], verdict="agree")
    assert Verification.objects.count() == 1


def test_a_disagreement_reopens_the_answer_through_the_workflow(people, decision):
    unit = decision.answer.learning_outcome.unit
    # Alice's unit is complete: every criterion accepted, signed off and confirmed.
    for criterion in unit.criteria.exclude(pk=decision.answer.learning_outcome_id):
        accepted(people["alice"], criterion, people["carol"])
    signoff.unit_sign_off(candidate=people["alice"], unit=unit, assessor=people["carol"])
    signoff.unit_confirm(candidate=people["alice"], unit=unit, declaration=True)
    mail.outbox.clear()
    Email.objects.all().delete()
    found = verification.decision_verify(
        decision=decision, verifier=people["grace"], verdict="disagree",
        reason="The answer names no example from work.", reopen=True, ip="192.0.2.9",
    )  # fmt: skip
    answer = Answer.objects.get(pk=decision.answer_id)
    assert found.reopened and answer.status == "needs_revision"
    entry = AuditEntry.objects.filter(answer=answer).latest("id")
    assert (entry.action, entry.actor, entry.from_status, entry.to_status) == (
        Action.REOPEN, people["grace"], "accepted", "needs_revision",
    )  # fmt: skip
    assert (entry.note, entry.ip_address) == ("The answer names no example from work.", "192.0.2.9")
    reopening = Decision.objects.filter(answer=answer).latest("id")
    assert (reopening.outcome, reopening.assessor) == ("reopened", people["grace"])
    # The candidate is told, the assessor is told, the unit's sign-off is withdrawn.
    subjects = sorted(Email.objects.values_list("subject", flat=True))
    assert any("has been reopened for revision" in s for s in subjects)
    assert any("disagrees with your decision" in s for s in subjects)
    sign_off = UnitSignOff.objects.get()
    assert sign_off.withdrawn_at is not None
    withdrawn = SignOffEvent.objects.get(kind="withdrawn")
    assert (withdrawn.actor, withdrawn.answer, withdrawn.note) == (
        people["grace"], answer, "The answer names no example from work.",
    )  # fmt: skip


def test_reopening_is_refused_once_the_acceptance_no_longer_stands(people, decision):
    services.answer_reopen(answer=decision.answer, by=people["carol"], reason="Redo it.")
    with pytest.raises(TransitionNotAllowed, match="no longer stands"):
        verification.decision_verify(
            decision=decision, verifier=people["grace"], verdict="disagree",
            reason="Weak.", reopen=True,
        )  # fmt: skip
    assert not Verification.objects.exists()
    # Without reopening, the verdict is recorded.
    verification.decision_verify(
        decision=decision, verifier=people["grace"], verdict="disagree", reason="Weak."
    )
    assert Verification.objects.get().reopened is False


def test_the_assessor_sees_the_feedback_on_home_and_on_the_answer(client, people, decision):
    verification.decision_verify(
        decision=decision, verifier=people["grace"], verdict="disagree",
        reason="Too generous.", feedback="Ask for an example next time.",
    )  # fmt: skip
    client.force_login(people["carol"])
    home = client.get("/").content.decode()
    assert "Feedback from your internal verifier" in home
    assert reverse("units:review", kwargs={"pk": decision.answer_id}) in home
    review = client.get(reverse("units:review", kwargs={"pk": decision.answer_id}))
    html = review.content.decode()
    assert 'id="verification"' in html and "Too generous." in html
    assert "Ask for an example next time." in html and "Mark as read" in html
    found = Verification.objects.get()
    response = client.post(
        reverse("units:acknowledge", kwargs={"pk": found.pk}), {"back": "review"}
    )
    assert response["Location"].endswith(f"/review/{decision.answer_id}/#verification")
    found.refresh_from_db()
    assert found.acknowledged_at is not None
    assert Profile.objects.get(user=people["carol"]).unread_verifications == 0
    assert "Feedback from your internal verifier" not in client.get("/").content.decode()
    # Marking it read again changes nothing; the verdict stays on the answer.
    client.post(reverse("units:acknowledge", kwargs={"pk": found.pk}))
    assert Profile.objects.get(user=people["carol"]).unread_verifications == 0
    assert (
        "Too generous."
        in client.get(reverse("units:review", kwargs={"pk": decision.answer_id})).content.decode()
    )


def test_only_the_assessor_whose_decision_it_was_marks_it_read(client, people, decision):
    found = verification.decision_verify(
        decision=decision, verifier=people["grace"], verdict="agree"
    )
    client.force_login(people["dave"])
    assert client.post(reverse("units:acknowledge", kwargs={"pk": found.pk})).status_code == 404
    found.refresh_from_db()
    assert found.acknowledged_at is None


def test_a_verdict_is_written_once(people, decision):
    found = verification.decision_verify(
        decision=decision, verifier=people["grace"], verdict="agree"
    )
    found.verdict = "disagree"
    with pytest.raises(TypeError):
        found.save()


def test_the_verdict_form_shows_what_went_wrong_and_keeps_what_was_typed(client, people, decision):
    client.force_login(people["grace"])
    response = client.post(
        reverse("units:verdict", kwargs={"pk": decision.pk}),
        {"verdict": "disagree", "feedback": "Keep this feedback."},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the reason you disagree with the decision." in html
    assert "Keep this feedback." in html
    assert not Verification.objects.exists()


@pytest.mark.parametrize("n", [1, 30])
def test_the_decision_page_takes_the_same_queries_whatever_the_thread(
    client, people, criterion, django_assert_max_num_queries, n
):
    found = accepted(people["alice"], criterion, people["carol"])
    for i in range(n):
        answer = Answer.objects.get(pk=found.answer_id)
        services.answer_reopen(answer=answer, by=people["carol"], reason=f"Again {i}.")
        services.draft_submit(
            candidate=people["alice"], criterion=criterion, text=f"Version {i}.",
            base_version=Answer.objects.get(pk=found.answer_id).version, declaration=True,
        )  # fmt: skip
        answer = Answer.objects.get(pk=found.answer_id)
        services.comment_add(answer=answer, author=people["carol"], body="Hm.", quote="Version")
        services.answer_accept(answer=answer, assessor=people["carol"])
    client.force_login(people["grace"])
    client.get("/")
    with django_assert_max_num_queries(9):
        assert client.get(page(found)).status_code == 200


def test_make_run_demo_can_be_verified(people, content):
    """The issue's journey on the demo data: Grace samples Amara's acceptance of
    Mina's 3.1 (proposed by the default plan)."""
    from django.contrib.auth import get_user_model

    from units import sampling

    call_command("seed_demo", "--force", verbosity=0)
    grace = get_user_model().objects.get(username="grace")
    rows, _ = sampling.period_decisions(grace, *sampling.default_period())
    drawn = sampling.propose(rows, sampling.plan_of(grace))
    accepted_31 = Decision.objects.get(
        answer__candidate__username="mina", answer__learning_outcome__code="3.1", outcome="accepted"
    )
    assert accepted_31.pk in drawn.proposed
