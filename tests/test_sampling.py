"""The internal verifier's sample: what the plan proposes, and the sampling page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from units import sampling, services
from units.models import Assignment, Decision, SamplingPlan, SamplingRule, Verification
from units.roles import ASSESSOR, CANDIDATE

from .conftest import make_unit, make_user

pytestmark = pytest.mark.django_db


def decide(candidate, criterion, assessor, *, accept=True):
    """The candidate submits an answer to the criterion and the assessor decides."""
    revision = services.draft_submit(
        candidate=candidate, criterion=criterion, text=f"{candidate.username} on {criterion.code}.",
        base_version=0, declaration=True,
    )  # fmt: skip
    if accept:
        services.answer_accept(answer=revision.answer, assessor=assessor)
    else:
        services.comment_add(answer=revision.answer, author=assessor, body="More.")
        services.answer_return(answer=revision.answer, assessor=assessor)
    return Decision.objects.filter(answer=revision.answer).latest("id")


@pytest.fixture
def centre(people):
    """Two units of 5 criteria; Carol assesses 4 candidates on both units, Dave 1."""
    units = [make_unit("S1", criteria=5), make_unit("S2", criteria=5)]
    candidates = [people["alice"]] + [make_user(f"cand{i}", CANDIDATE) for i in range(3)]
    extra = make_user("erin", CANDIDATE)
    for candidate in candidates[1:]:
        Assignment.objects.create(candidate=candidate, assessor=people["carol"])
    Assignment.objects.create(candidate=extra, assessor=people["dave"])
    carol = [
        decide(candidate, criterion, people["carol"])
        for candidate in candidates
        for unit in units
        for criterion in unit.criteria.all()
    ]  # 40 decisions
    dave = [decide(extra, units[0].criteria.get(code="1.1"), people["dave"])]
    return {"units": units, "candidates": candidates, "carol": carol, "dave": dave}


def sample_for(verifier, plan=None):
    start, end = sampling.default_period()
    rows, too_many = sampling.period_decisions(verifier, start, end)
    return sampling.propose(rows, plan or sampling.plan_of(verifier)), rows


def test_the_plan_takes_a_percentage_of_each_assessor_rounded_up(people, centre):
    plan = sampling.plan_of(people["grace"])
    assert (plan.percentage, plan.every_unit) == (10, True)
    drawn, rows = sample_for(people["grace"], plan)
    shares = {share.assessor_id: share for share in drawn.shares}
    assert len(rows) == 41
    assert (shares[people["carol"].pk].decisions, shares[people["carol"].pk].target) == (40, 4)
    # Dave made one decision: 10% of 1 is still 1, so every assessor is sampled.
    assert (shares[people["dave"].pk].decisions, shares[people["dave"].pk].target) == (1, 1)
    carols = {d.pk for d in centre["carol"]}
    assert len(drawn.proposed & carols) == 4
    assert {d.pk for d in centre["dave"]} <= drawn.proposed


def test_the_proposal_spreads_across_candidates_units_and_criteria(people, centre):
    sampling.plan_update(verifier=people["grace"], percentage=20, every_unit=True, rules={})
    drawn, rows = sample_for(people["grace"])
    by_id = {row.id: row for row in rows}
    carols = [by_id[pk] for pk in drawn.proposed if by_id[pk].assessor_id == people["carol"].pk]
    assert len(carols) == 8  # 20% of 40
    # 4 candidates, 2 units: each candidate twice, each unit four times.
    per_candidate = {row.candidate_id: 0 for row in carols}
    for row in carols:
        per_candidate[row.candidate_id] += 1
    assert sorted(per_candidate.values()) == [2, 2, 2, 2]
    assert sorted(sum(r.unit_id == u.pk for r in carols) for u in centre["units"]) == [4, 4]
    # Ten criteria, eight picks: no criterion twice.
    assert len({row.criterion_id for row in carols}) == 8


def test_the_proposal_is_the_same_on_every_visit(people, centre):
    first, _rows = sample_for(people["grace"])
    again, _rows = sample_for(people["grace"])
    assert first.proposed == again.proposed


def test_a_named_assessor_can_have_every_decision_sampled(people, centre):
    sampling.plan_update(
        verifier=people["grace"], percentage=10, every_unit=False, rules={people["carol"].pk: 100}
    )
    assert SamplingRule.objects.get().percentage == 100
    drawn, _rows = sample_for(people["grace"])
    assert {d.pk for d in centre["carol"]} <= drawn.proposed
    # An assessor the rules do not name keeps the plan's percentage.
    dave = next(s for s in drawn.shares if s.assessor_id == people["dave"].pk)
    assert dave.percentage == 10


def test_every_unit_is_sampled_at_least_once(people, centre):
    # A third unit with one decision, by Carol, whose 10% would not reach it.
    third = make_unit("S3", criteria=1)
    extra = decide(people["alice"], third.criteria.get(), people["carol"])
    sampling.plan_update(verifier=people["grace"], percentage=1, every_unit=True, rules={})
    drawn, _rows = sample_for(people["grace"])
    assert extra.pk in drawn.proposed
    assert drawn.units_covered == drawn.units == {u.pk for u in [*centre["units"], third]}
    sampling.plan_update(verifier=people["grace"], percentage=1, every_unit=False, rules={})
    drawn, _rows = sample_for(people["grace"])
    assert len(drawn.units_covered) < len(drawn.units)


def test_what_is_verified_counts_first(people, centre):
    verified = [centre["carol"][i] for i in (0, 5, 10, 15)]  # both units
    for decision in verified:
        Verification.objects.create(decision=decision, verifier=people["grace"], verdict="agree")
    drawn, _rows = sample_for(people["grace"])
    carol = next(s for s in drawn.shares if s.assessor_id == people["carol"].pk)
    assert (carol.target, carol.verified, carol.proposed) == (4, 4, 0)
    assert not (drawn.proposed & {d.pk for d in centre["carol"]})


def test_a_verifier_never_samples_their_own_decisions(people, centre):
    make_user("vera", ASSESSOR)  # an assessor who is also…
    people["carol"].groups.add(*people["grace"].groups.all())  # …Carol verifies too
    _drawn, rows = sample_for(people["carol"])
    assert {row.assessor_id for row in rows} == {people["dave"].pk}


def test_reopening_is_not_a_decision_to_sample(people, centre):
    accepted = centre["carol"][0]
    services.answer_reopen(answer=accepted.answer, by=people["carol"], reason="Again.")
    _drawn, rows = sample_for(people["grace"])
    assert {row.outcome for row in rows} == {"accepted"}


def test_a_period_with_too_many_decisions_asks_to_be_narrowed(people, centre, settings, client):
    settings.SAMPLING_MAX_DECISIONS = 10
    _drawn, rows = sample_for(people["grace"])
    assert rows == []
    client.force_login(people["grace"])
    page = client.get(reverse("units:sample")).content.decode()
    assert "more decisions than a sample is drawn from. Choose a shorter period." in page


def test_the_period_limits_the_decisions(people, centre, client):
    old = centre["carol"][0]
    Decision.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=200))
    _drawn, rows = sample_for(people["grace"])
    assert old.pk not in {row.id for row in rows}
    client.force_login(people["grace"])
    start = (timezone.localdate() - timedelta(days=365)).isoformat()
    page = client.get(reverse("units:sample"), {"date_from": start, "show": "all"})
    assert page.context["drawn"].rows[0].id == old.pk
    backwards = client.get(
        reverse("units:sample"), {"date_from": "2026-12-31", "date_to": "2026-01-01"}
    )
    assert "The period must start before it ends." in backwards.content.decode()


def test_the_page_lists_the_sample_and_filters_it(people, centre, client):
    client.force_login(people["grace"])
    page = client.get(reverse("units:sample"))
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        "Your plan samples 10% of each assessor's decisions, and every unit at least once." in html
    )
    listed = [decision.pk for decision, state in page.context["items"]]
    assert set(listed) == page.context["drawn"].proposed
    assert "Proposed" in html and "Verify" in html
    only_dave = client.get(reverse("units:sample"), {"assessor": people["dave"].pk, "show": "all"})
    assert [d.assessor_id for d, _s in only_dave.context["items"]] == [people["dave"].pk]
    unit = centre["units"][1]
    by_unit = client.get(
        reverse("units:sample"), {"unit": unit.pk, "criterion": "1.2", "show": "all"}
    )
    items = by_unit.context["items"]
    assert len(items) == 4 and {d.answer.learning_outcome.code for d, _s in items} == {"1.2"}
    assert all(d.answer.learning_outcome.unit_id == unit.pk for d, _s in items)
    by_name = client.get(reverse("units:sample"), {"candidate": "CAND1", "show": "all"})
    assert {d.answer.candidate.username for d, _s in by_name.context["items"]} == {"cand1"}
    assert by_name.context["page"].paginator.count == 10
    nobody = client.get(reverse("units:sample"), {"candidate": "zz", "show": "all"})
    assert nobody.context["items"] == []
    returned = client.get(reverse("units:sample"), {"outcome": "needs_revision", "show": "all"})
    assert returned.context["items"] == []
    bad = client.get(reverse("units:sample"), {"criterion": "three", "show": "all"})
    assert "A criterion is written like 3.1." in bad.content.decode()


def test_verified_decisions_are_marked_on_the_page(people, centre, client):
    decision = centre["carol"][0]
    Verification.objects.create(decision=decision, verifier=people["grace"], verdict="disagree",
                                reason="Not enough.")  # fmt: skip
    client.force_login(people["grace"])
    page = client.get(reverse("units:sample"), {"show": "verified"})
    assert [(d.pk, s) for d, s in page.context["items"]] == [(decision.pk, "verified")]
    assert "Verified: disagree" in page.content.decode()


def test_the_plan_page_saves_percentages_per_assessor(people, centre, client):
    client.force_login(people["grace"])
    page = client.get(reverse("units:sampling_plan")).content.decode()
    assert "carol" in page and "dave" in page
    response = client.post(
        reverse("units:sampling_plan"),
        {"percentage": "25", "every_unit": "on", f"rule_{people['dave'].pk}": "100"},
    )
    assert response.status_code == 302
    plan = SamplingPlan.objects.get(verifier=people["grace"])
    assert (plan.percentage, plan.every_unit, plan.percentages()) == (
        25,
        True,
        {people["dave"].pk: 100},
    )
    # Emptying a rule puts the assessor back on the plan's percentage.
    client.post(reverse("units:sampling_plan"), {"percentage": "25"})
    plan.refresh_from_db()
    assert (plan.every_unit, plan.percentages()) == (False, {})
    refused = client.post(reverse("units:sampling_plan"), {"percentage": "150"})
    assert refused.status_code == 400
    assert SamplingPlan.objects.get(verifier=people["grace"]).percentage == 25


@pytest.mark.parametrize("n", [1, 50])
def test_the_sampling_pages_take_the_same_queries_whatever_the_decisions(
    people, client, django_assert_max_num_queries, n
):
    unit = make_unit("Q1", criteria=n)
    for criterion in unit.criteria.all():
        decide(people["alice"], criterion, people["carol"], accept=criterion.code != "1.1")
    client.force_login(people["grace"])
    client.get("/")  # her roles are read once, then cached
    with django_assert_max_num_queries(8):
        assert client.get(reverse("units:sample"), {"show": "all"}).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("units:sampling_plan")).status_code == 200
    decision = Decision.objects.latest("id")
    with django_assert_max_num_queries(9):
        page = reverse("units:sample_decision", kwargs={"pk": decision.pk})
        assert client.get(page).status_code == 200
