"""The external verifier: read-only, for a time, the candidates and units an admin
grants; every page they open is logged."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from units import services
from units.models import Enrolment, PortfolioGrant, RecordAccess, Unit

from .conftest import make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(people):
    first, second = make_unit("X1", criteria=2), make_unit("X2", criteria=1)
    for unit in (first, second):
        for criterion in unit.criteria.all():
            revision = services.draft_submit(
                candidate=people["alice"], criterion=criterion, text=f"On {criterion}.",
                base_version=0, declaration=True,
            )  # fmt: skip
            services.answer_accept(answer=revision.answer, assessor=people["carol"])
    return first, second


def portfolio(person):
    return reverse("units:portfolio", kwargs={"pk": person.pk})


def unit_page(person, unit):
    return reverse("units:portfolio_unit", kwargs={"pk": person.pk, "unit": unit.slug})


def test_the_external_verifier_reads_what_is_granted_and_nothing_else(client, people, units):
    first, second = units
    client.force_login(people["tom"])
    listing = client.get(reverse("units:portfolios")).content.decode()
    assert "Your access as external verifier" in listing
    assert portfolio(people["alice"]) in listing and portfolio(people["bob"]) not in listing
    assert client.get(portfolio(people["alice"])).status_code == 200
    assert client.get(unit_page(people["alice"], first)).status_code == 200
    assert client.get(portfolio(people["bob"])).status_code == 404
    assert client.get(unit_page(people["bob"], first)).status_code == 404
    # Read-only: no sign-off, no countersigning, no review, no sampling.
    page = client.get(unit_page(people["alice"], first)).content.decode()
    assert "Sign the unit off" not in page and "Countersign" not in page
    sign_off = reverse("units:sign_off", kwargs={"pk": people["alice"].pk, "unit": first.slug})
    assert client.post(sign_off).status_code == 403
    assert client.get(reverse("units:queue")).status_code == 403
    assert client.get(reverse("units:sample")).status_code == 403


def test_a_grant_on_one_unit_shows_that_unit_only(client, people, units):
    first, second = units
    PortfolioGrant.objects.update(unit=second)
    client.force_login(people["tom"])
    page = client.get(portfolio(people["alice"])).content.decode()
    assert unit_page(people["alice"], second) in page
    assert unit_page(people["alice"], first) not in page
    assert client.get(unit_page(people["alice"], first)).status_code == 404
    assert client.get(unit_page(people["alice"], second)).status_code == 200


def test_access_ends_when_the_grant_expires(client, people, units):
    first, _second = units
    client.force_login(people["tom"])
    assert client.get(unit_page(people["alice"], first)).status_code == 200
    PortfolioGrant.objects.update(
        starts_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert client.get(portfolio(people["alice"])).status_code == 404
    assert client.get(unit_page(people["alice"], first)).status_code == 404
    listing = client.get(reverse("units:portfolios")).content.decode()
    assert "No portfolios to show." in listing


def test_a_grant_that_has_not_started_gives_nothing_yet(client, people, units):
    PortfolioGrant.objects.update(
        starts_at=timezone.now() + timedelta(days=1), expires_at=timezone.now() + timedelta(days=2)
    )
    client.force_login(people["tom"])
    assert client.get(portfolio(people["alice"])).status_code == 404


def test_every_page_the_external_verifier_opens_is_logged(client, people, units):
    first, _second = units
    client.force_login(people["tom"])
    client.get(portfolio(people["alice"]))
    client.get(unit_page(people["alice"], first))
    logged = list(
        RecordAccess.objects.filter(reader=people["tom"])
        .order_by("id")
        .values_list("kind", "person", "unit", "what")
    )
    assert logged == [
        ("viewed", people["alice"].pk, None, portfolio(people["alice"])),
        ("viewed", people["alice"].pk, first.pk, unit_page(people["alice"], first)),
    ]


def test_an_unpublished_unit_or_ended_enrolment_leaves_the_portfolio(client, people, units):
    first, second = units
    Unit.objects.filter(pk=first.pk).update(published_at=None)
    Enrolment.objects.filter(unit=second).delete()
    client.force_login(people["tom"])
    assert client.get(unit_page(people["alice"], first)).status_code == 404
    assert client.get(unit_page(people["alice"], second)).status_code == 404


def test_the_admin_grants_access_to_an_external_verifier_only(client, people, units):
    first, _second = units
    client.force_login(people["admin"])
    add = reverse("admin:units_portfoliogrant_add")
    now = timezone.localtime()
    base = {
        "candidate": people["alice"].pk,
        "starts_at_0": now.strftime("%Y-%m-%d"),
        "starts_at_1": now.strftime("%H:%M:%S"),
        "expires_at_0": (now + timedelta(days=14)).strftime("%Y-%m-%d"),
        "expires_at_1": "12:00:00",
        "note": "EQA visit",
    }
    refused = client.post(add, {**base, "verifier": people["dave"].pk})
    assert refused.status_code == 200 and PortfolioGrant.objects.count() == 1
    backwards = client.post(
        add, {**base, "verifier": people["tom"].pk, "expires_at_0": "2020-01-01"}
    )
    assert "The access must end after it starts." in backwards.content.decode()
    other = make_unit("X9", criteria=1)
    Enrolment.objects.filter(unit=other).delete()
    not_enrolled = client.post(add, {**base, "verifier": people["tom"].pk, "unit": other.pk})
    assert "not enrolled on this unit" in not_enrolled.content.decode()
    saved = client.post(add, {**base, "verifier": people["tom"].pk, "unit": first.pk})
    assert saved.status_code == 302
    grant = PortfolioGrant.objects.latest("id")
    assert (grant.granted_by, grant.unit, grant.note) == (people["admin"], first, "EQA visit")


def test_the_admin_ends_a_grant_and_cannot_delete_it(client, people, units):
    client.force_login(people["admin"])
    grant = PortfolioGrant.objects.get()
    client.post(
        reverse("admin:units_portfoliogrant_changelist"),
        {"action": "end_grants", "_selected_action": [grant.pk]},
    )
    grant.refresh_from_db()
    assert not grant.is_active()
    delete = reverse("admin:units_portfoliogrant_delete", args=[grant.pk])
    assert client.get(delete).status_code == 403
    client.force_login(people["tom"])
    assert client.get(portfolio(people["alice"])).status_code == 404


@pytest.mark.parametrize("n", [1, 20])
def test_the_portfolio_pages_take_the_same_queries(
    client, people, django_assert_max_num_queries, n
):
    unit = make_unit("Y1", criteria=n)
    answer = None
    for criterion in unit.criteria.all():
        revision = services.draft_submit(
            candidate=people["alice"], criterion=criterion, text="Text.", base_version=0,
            declaration=True,
        )  # fmt: skip
        services.comment_add(answer=revision.answer, author=people["carol"], body="Hm.")
        answer = services.answer_accept(answer=revision.answer, assessor=people["carol"])
    assert answer is not None
    for person in ("tom", "carol", "grace"):
        client.force_login(people[person])
        client.get("/")
        with django_assert_max_num_queries(8):
            assert client.get(reverse("units:portfolios")).status_code == 200
        with django_assert_max_num_queries(8):
            assert client.get(portfolio(people["alice"])).status_code == 200
        with django_assert_max_num_queries(10):
            assert client.get(unit_page(people["alice"], unit)).status_code == 200


def test_a_draft_never_submitted_stays_the_candidates_alone(client, people):
    unit = make_unit("Y2", criteria=2)
    services.draft_save(
        candidate=people["alice"], criterion=unit.criteria.get(code="1.2"),
        text="A secret draft.", base_version=0,
    )  # fmt: skip
    for person in ("carol", "tom"):
        client.force_login(people[person])
        grid = client.get(portfolio(people["alice"])).content.decode()
        assert "status-draft" not in grid
        page = client.get(unit_page(people["alice"], unit)).content.decode()
        assert "A secret draft." not in page and "status-draft" not in page


def test_a_grant_once_given_keeps_who_whose_and_from_when(client, people, units):
    first, second = units
    grant = PortfolioGrant.objects.get()
    client.force_login(people["admin"])
    change = reverse("admin:units_portfoliogrant_change", args=[grant.pk])
    later = timezone.localtime() + timedelta(days=30)
    response = client.post(
        change,
        {
            "verifier": people["dave"].pk,
            "candidate": people["bob"].pk,
            "unit": second.pk,
            "expires_at_0": later.strftime("%Y-%m-%d"),
            "expires_at_1": "09:00:00",
            "note": "Extended",
        },
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.verifier, grant.candidate, grant.unit) == (people["tom"], people["alice"], None)
    assert grant.expires_at.date() == later.date() and grant.note == "Extended"


def test_the_admin_group_reads_sign_offs_with_their_history(client, people, units):
    from units import signoff
    from units.roles import ADMIN

    from .conftest import make_user

    first, _second = units
    signoff.unit_sign_off(candidate=people["alice"], unit=first, assessor=people["carol"])
    staff = make_user("ada", ADMIN, is_staff=True)
    client.force_login(staff)
    from units.models import UnitSignOff

    page = client.get(
        reverse("admin:units_unitsignoff_change", args=[UnitSignOff.objects.get().pk])
    )
    assert page.status_code == 200
    assert "Signed off by the assessor" in page.content.decode()
