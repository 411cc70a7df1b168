"""Unit sign-off: the assessor signs, the candidate confirms, the internal verifier
may countersign; reopening a criterion withdraws it, on record."""

import threading

import pytest
from django.db import connection
from django.urls import reverse
from post_office.models import Email

from units import services, signoff
from units.errors import Invalid, TransitionNotAllowed
from units.models import Answer, Enrolment, SignOffEvent, UnitSignOff

from .conftest import make_unit

pytestmark = pytest.mark.django_db


def accept_all(candidate, unit, assessor, *, but=()):
    for criterion in unit.criteria.all():
        revision = services.draft_submit(
            candidate=candidate, criterion=criterion, text=f"About {criterion.code}.",
            base_version=0, declaration=True,
        )  # fmt: skip
        if criterion.code not in but:
            services.answer_accept(answer=revision.answer, assessor=assessor)


@pytest.fixture
def unit(people):
    unit = make_unit("U7", criteria=3)
    accept_all(people["alice"], unit, people["carol"])
    return unit


def unit_page(person, unit):
    return reverse("units:portfolio_unit", kwargs={"pk": person.pk, "unit": unit.slug})


def test_not_before_every_criterion_is_accepted(people):
    unit = make_unit("U8", criteria=3)
    accept_all(people["alice"], unit, people["carol"], but=("1.3",))
    with pytest.raises(TransitionNotAllowed, match="1 is still to go"):
        signoff.unit_sign_off(candidate=people["alice"], unit=unit, assessor=people["carol"])
    assert not UnitSignOff.objects.exists()


def test_only_the_candidates_own_assessor_signs_off(people, unit):
    with pytest.raises(TransitionNotAllowed, match="own assessor"):
        signoff.unit_sign_off(candidate=people["alice"], unit=unit, assessor=people["dave"])
    Enrolment.objects.filter(candidate=people["alice"], unit=unit).delete()
    with pytest.raises(TransitionNotAllowed, match="not enrolled"):
        signoff.unit_sign_off(candidate=people["alice"], unit=unit, assessor=people["carol"])


def test_signed_by_the_assessor_then_confirmed_by_the_candidate(client, people, unit):
    client.force_login(people["carol"])
    page = client.get(unit_page(people["alice"], unit)).content.decode()
    assert "Sign the unit off" in page
    response = client.post(
        reverse("units:sign_off", kwargs={"pk": people["alice"].pk, "unit": unit.slug})
    )
    assert response.status_code == 302
    sign_off = UnitSignOff.objects.get()
    assert (sign_off.assessor, sign_off.confirmed_at, sign_off.is_complete) == (
        people["carol"],
        None,
        False,
    )
    assert Email.objects.filter(
        to=["alice@example.com"], subject__contains="please confirm"
    ).exists()
    # Signing again is refused: it stands already.
    again = client.post(
        reverse("units:sign_off", kwargs={"pk": people["alice"].pk, "unit": unit.slug})
    )
    assert again.status_code == 409 and "already signed off" in again.content.decode()

    client.force_login(people["alice"])
    home = client.get("/").content.decode()
    assert "Units signed off: confirm them" in home
    progress = client.get(reverse("units:progress")).content.decode()
    assert "signed this unit off" in progress and "Confirm unit U7" in progress
    confirm = reverse("units:confirm_unit", kwargs={"unit": unit.slug})
    refused = client.post(confirm, {}, follow=True)
    assert "Tick the declaration to confirm the unit." in refused.content.decode()
    assert UnitSignOff.objects.get().confirmed_at is None
    client.post(confirm, {"declaration": "on"})
    sign_off.refresh_from_db()
    assert sign_off.is_complete
    progress = client.get(reverse("units:progress")).content.decode()
    assert "unit-complete" in progress and "Confirm unit U7" not in progress
    assert Email.objects.filter(
        to=["carol@example.com"], subject__contains="it is complete"
    ).exists()
    assert list(SignOffEvent.objects.values_list("kind", "actor")) == [
        ("signed", people["carol"].pk), ("confirmed", people["alice"].pk),
    ]  # fmt: skip


def test_the_internal_verifier_countersigns_a_complete_unit(client, people, unit):
    signoff.unit_sign_off(candidate=people["alice"], unit=unit, assessor=people["carol"])
    countersign = reverse("units:countersign", kwargs={"pk": people["alice"].pk, "unit": unit.slug})
    client.force_login(people["grace"])
    early = client.post(countersign)
    assert early.status_code == 409 and "confirmed by the candidate" in early.content.decode()
    signoff.unit_confirm(candidate=people["alice"], unit=unit, declaration=True)
    assert (
        "Countersign as internal verifier"
        in client.get(unit_page(people["alice"], unit)).content.decode()
    )
    client.post(countersign)
    sign_off = UnitSignOff.objects.get()
    assert sign_off.countersigned_by == people["grace"]
    page = client.get(unit_page(people["alice"], unit)).content.decode()
    assert "Countersigned by <bdi>grace</bdi>" in page


def test_reopening_a_criterion_withdraws_the_sign_off_on_record(client, people, unit):
    signoff.unit_sign_off(candidate=people["alice"], unit=unit, assessor=people["carol"])
    signoff.unit_confirm(candidate=people["alice"], unit=unit, declaration=True)
    answer = Answer.objects.get(
        candidate=people["alice"], learning_outcome__code="1.2", learning_outcome__unit=unit
    )
    services.answer_reopen(answer=answer, by=people["carol"], reason="Add an example.")
    withdrawn = UnitSignOff.objects.get()
    assert withdrawn.withdrawn_at is not None and not withdrawn.is_complete
    event = SignOffEvent.objects.get(kind="withdrawn")
    assert (event.actor, event.answer, event.note) == (people["carol"], answer, "Add an example.")
    client.force_login(people["carol"])
    page = client.get(unit_page(people["alice"], unit)).content.decode()
    assert "The sign-off was withdrawn: <bdi>carol</bdi> reopened criterion 1.2." in page
    assert "Sign the unit off" not in page  # 1.2 is not accepted any more
    # Accepted again, the unit is signed off anew: a second row, the first kept.
    services.draft_submit(
        candidate=people["alice"], criterion=answer.learning_outcome, text="With an example.",
        base_version=Answer.objects.get(pk=answer.pk).version, declaration=True,
    )  # fmt: skip
    services.answer_accept(answer=Answer.objects.get(pk=answer.pk), assessor=people["carol"])
    signoff.unit_sign_off(candidate=people["alice"], unit=unit, assessor=people["carol"])
    assert UnitSignOff.objects.count() == 2
    assert UnitSignOff.objects.active().count() == 1


def test_the_candidate_confirms_only_a_standing_sign_off(people, unit):
    with pytest.raises(TransitionNotAllowed, match="has not signed this unit off"):
        signoff.unit_confirm(candidate=people["alice"], unit=unit, declaration=True)
    signoff.unit_sign_off(candidate=people["alice"], unit=unit, assessor=people["carol"])
    with pytest.raises(Invalid):
        signoff.unit_confirm(candidate=people["alice"], unit=unit, declaration=False)
    with pytest.raises(TransitionNotAllowed):
        signoff.unit_confirm(candidate=people["bob"], unit=unit, declaration=True)


def test_accepting_the_last_criterion_says_the_unit_can_be_signed_off(client, people):
    unit = make_unit("U9", criteria=2)
    accept_all(people["alice"], unit, people["carol"], but=("1.2",))
    last = Answer.objects.get(
        candidate=people["alice"], learning_outcome__code="1.2", learning_outcome__unit=unit
    )
    client.force_login(people["carol"])
    response = client.post(
        reverse("units:decide", kwargs={"pk": last.pk}), {"action": "accept"}, follow=True
    )
    html = response.content.decode()
    assert "Every criterion of unit U9 is now accepted for alice." in html
    assert f"{unit_page(people['alice'], unit)}#sign-off" in html
    portfolios = client.get(reverse("units:portfolios")).content.decode()
    assert "Units ready to sign off" in portfolios


def test_the_portfolio_grid_shows_the_unit_complete(client, people, unit):
    signoff.unit_sign_off(candidate=people["alice"], unit=unit, assessor=people["carol"])
    signoff.unit_confirm(candidate=people["alice"], unit=unit, declaration=True)
    client.force_login(people["carol"])
    page = client.get(
        reverse("units:portfolio", kwargs={"pk": people["alice"].pk})
    ).content.decode()
    assert "unit-complete" in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_two_sign_offs_at_once_make_one(people):
    from django.db import connections

    unit = make_unit("U6", criteria=2)
    accept_all(people["alice"], unit, people["carol"])
    barrier = threading.Barrier(2)
    outcomes = []

    def sign():
        barrier.wait()
        try:
            signoff.unit_sign_off(candidate=people["alice"], unit=unit, assessor=people["carol"])
            outcomes.append("signed")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "signed"]
    assert UnitSignOff.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_a_sign_off_and_a_reopening_at_once_never_leave_a_sign_off_over_a_reopened_criterion(
    people,
):
    from django.db import connections

    unit = make_unit("U5", criteria=3)
    accept_all(people["alice"], unit, people["carol"])
    answer = Answer.objects.get(candidate=people["alice"], learning_outcome__code="1.2")
    barrier = threading.Barrier(2)

    def sign():
        barrier.wait()
        try:
            signoff.unit_sign_off(candidate=people["alice"], unit=unit, assessor=people["carol"])
        except TransitionNotAllowed:
            pass
        finally:
            connections.close_all()

    def reopen():
        barrier.wait()
        try:
            fresh = Answer.objects.get(pk=answer.pk)
            services.answer_reopen(answer=fresh, by=people["carol"], reason="Once more.")
        finally:
            connections.close_all()

    for _ in range(5):
        threads = [threading.Thread(target=sign), threading.Thread(target=reopen)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert Answer.objects.get(pk=answer.pk).status == "needs_revision"
        assert not UnitSignOff.objects.active().exists(), (
            "a sign-off stands over a reopened criterion"
        )
        # Accepted again for the next round.
        services.draft_submit(
            candidate=people["alice"], criterion=answer.learning_outcome, text="Again.",
            base_version=Answer.objects.get(pk=answer.pk).version, declaration=True,
        )  # fmt: skip
        services.answer_accept(answer=Answer.objects.get(pk=answer.pk), assessor=people["carol"])
        barrier.reset()
