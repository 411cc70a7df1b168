"""Draft and published units, and enrolment, as candidates, assessors and admins
meet them: what each sees, writes for and is counted against."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from units import services
from units.models import Answer, Enrolment, LearningOutcome, Unit
from units.roles import ADMIN

from .conftest import JSON, make_unit, make_user, page_owner

pytestmark = pytest.mark.django_db


def unit_url(unit) -> str:
    return reverse("units:unit", kwargs={"unit": unit.slug})


def criterion_urls(unit, code="1.1") -> list[str]:
    kwargs = {"unit": unit.slug, "code": code}
    return [
        reverse(name, kwargs=kwargs)
        for name in ("units:criterion", "units:model_answer", "units:write", "units:answer_state")
    ]


@pytest.fixture
def draft(people):
    """A unit typed into the admin but not yet published."""
    unit = make_unit("D1", criteria=2)
    unit.unpublish()
    return unit


@pytest.fixture
def staff_admin(db):
    person = make_user("ada", is_staff=True)
    person.groups.add(Group.objects.get(name=ADMIN))
    return person


def submit(candidate, criterion, text="My own answer."):
    return services.draft_submit(
        candidate=candidate, criterion=criterion, text=text, base_version=0, declaration=True
    )


def test_a_draft_is_hidden_from_candidates_assessors_and_visitors(client, people, draft):
    for person in (None, people["alice"], people["carol"]):
        if person:
            client.force_login(person)
        assert draft.title not in client.get("/").content.decode()
        assert client.get(unit_url(draft)).status_code == 404
        for url in criterion_urls(draft):
            assert client.get(url).status_code in (404, 403, 302), url
        client.logout()


def test_a_draft_does_not_change_candidates_progress(client, people, content, draft):
    client.force_login(people["alice"])
    home = client.get("/").content.decode()
    assert unit_url(draft) not in home
    totals = client.get(reverse("units:progress")).context["totals"]
    assert totals.total == LearningOutcome.objects.exclude(unit=draft).count()


def test_an_admin_sees_a_draft_as_a_candidate_would_with_what_stops_publishing(
    client, staff_admin, draft
):
    LearningOutcome.objects.filter(unit=draft, code="1.1").delete()  # 1.2 without 1.1
    client.force_login(staff_admin)
    page = client.get(unit_url(draft)).content.decode()
    assert "Candidates cannot see this unit until it is published" in page
    assert "Criterion 1.1 is missing" in page
    assert client.get(criterion_urls(draft, "1.2")[0]).status_code == 200


def test_saving_into_a_draft_unit_is_refused_and_stores_nothing(client, people, draft):
    client.force_login(people["alice"])
    url = reverse("units:save", kwargs={"unit": draft.slug, "code": "1.1"})
    data = {"text": "typed", "version": 0, "owner": page_owner(client)}
    response = client.post(url, data, **JSON)
    assert response.status_code == 404
    assert response.json()["error"] == "not_open"
    assert "kept in this browser" in response.json()["message"]
    assert not Answer.objects.exists()


def test_a_candidate_unenrolled_while_writing_is_told_and_loses_nothing_saved(client, people):
    unit = make_unit("W1", criteria=1)
    criterion = unit.criteria.get()
    client.force_login(people["alice"])
    url = reverse("units:save", kwargs={"unit": unit.slug, "code": "1.1"})
    saved = client.post(url, {"text": "first", "version": 0, "owner": page_owner(client)}, **JSON)
    assert saved.status_code == 200
    Enrolment.objects.filter(candidate=people["alice"], unit=unit).delete()
    data = {"text": "second", "version": saved.json()["version"], "owner": page_owner(client)}
    response = client.post(url, data, **JSON)
    assert response.json()["error"] == "not_open"
    assert Answer.objects.get(learning_outcome=criterion).text == "first"


def test_publishing_checks_the_unit_is_complete(client, staff_admin, draft):
    client.force_login(staff_admin)
    changelist = reverse("admin:units_unit_changelist")
    LearningOutcome.objects.filter(unit=draft, code="1.1").delete()
    response = client.post(
        changelist, {"action": "publish_units", "_selected_action": [draft.pk]}, follow=True
    )
    assert "D1 was not published: Criterion 1.1 is missing" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.is_published

    LearningOutcome.objects.create(unit=draft, code="1.1", outcome="LO1", question="Q?")
    response = client.post(
        changelist, {"action": "publish_units", "_selected_action": [draft.pk]}, follow=True
    )
    assert "1 unit is published" in response.content.decode()
    draft.refresh_from_db()
    assert draft.is_published


def test_a_unit_without_criteria_cannot_be_published(db):
    unit = Unit.objects.create(code="E1", slug="e1", title="Empty")
    assert unit.publish() == ["The unit has no assessment criteria yet."]
    assert not Unit.objects.get(pk=unit.pk).is_published


def test_unpublishing_hides_the_unit_and_keeps_every_answer(client, people):
    unit = make_unit("P1", criteria=2)
    criterion = unit.criteria.get(code="1.1")
    submit(people["alice"], criterion)
    client.force_login(people["admin"])
    client.post(
        reverse("admin:units_unit_changelist"),
        {"action": "unpublish_units", "_selected_action": [unit.pk]},
    )
    assert Answer.objects.filter(learning_outcome=criterion).count() == 1
    client.force_login(people["alice"])
    assert client.get(unit_url(unit)).status_code == 404
    client.force_login(people["carol"])
    assert client.get(reverse("units:queue")).status_code == 200

    unit.publish()
    client.force_login(people["alice"])
    page = client.get(unit_url(unit)).content.decode()
    assert "Submitted" in page


def test_a_candidate_sees_and_counts_only_the_units_they_are_enrolled_on(client, people):
    mine, other = make_unit("M1", criteria=2), make_unit("O1", criteria=5)
    Enrolment.objects.filter(candidate=people["alice"], unit=other).delete()
    client.force_login(people["alice"])
    home = client.get("/").content.decode()
    assert mine.title in home and other.title not in home
    assert client.get(unit_url(other)).status_code == 404
    assert client.get(criterion_urls(other)[2]).status_code == 404
    assert client.get(reverse("units:progress")).context["totals"].total == 2
    # Bob, enrolled on both, sees both.
    client.force_login(people["bob"])
    assert other.title in client.get("/").content.decode()


def test_the_assessors_queue_and_counts_follow_enrolment(client, people):
    unit = make_unit("Q1", criteria=2)
    submit(people["alice"], unit.criteria.get(code="1.1"))
    client.force_login(people["carol"])
    assert "Q1" in client.get(reverse("units:queue")).content.decode()
    answer = Answer.objects.get()
    assert client.get(reverse("units:review", kwargs={"pk": answer.pk})).status_code == 200

    Enrolment.objects.filter(candidate=people["alice"], unit=unit).delete()
    queue = client.get(reverse("units:queue")).content.decode()
    assert "Q1 1.1" not in queue
    assert client.get(reverse("units:review", kwargs={"pk": answer.pk})).status_code == 404
    assert Answer.objects.filter(pk=answer.pk).exists()  # nothing deleted


def test_search_finds_only_the_units_a_person_may_open(client, people, staff_admin, draft):
    criterion = draft.criteria.get(code="1.1")
    criterion.question = "Zanzibar question?"
    criterion.save()  # indexed for search as the admin would save it
    for person, expected in [(people["alice"], False), (None, False), (staff_admin, True)]:
        client.logout()
        if person:
            client.force_login(person)
        page = client.get(reverse("units:search"), {"q": "zanzibar"}).content.decode()
        assert ("D1 1.1" in page) is expected, person


def test_a_reading_lists_only_the_units_the_reader_may_open(client, people, content):
    from units.models import Reading

    reading = Reading.objects.first()
    hidden = reading.units.first()
    Enrolment.objects.filter(candidate=people["alice"], unit=hidden).delete()
    client.force_login(people["alice"])
    page = client.get(reading.get_absolute_url()).content.decode()
    assert hidden.get_absolute_url() not in page
    client.force_login(people["bob"])
    assert hidden.get_absolute_url() in client.get(reading.get_absolute_url()).content.decode()


def test_the_unit_page_says_which_criteria_have_model_answers(client, people):
    unit = make_unit("C1", criteria=3)
    unit.criteria.get(code="1.3").model_answers.all().delete()
    page = client.get(unit_url(unit)).content.decode()
    assert "Model answers cover 2 of its 3 criteria." in page
    assert page.count("No model answer yet") == 1


@pytest.mark.parametrize("who", ["alice", "carol", "admin"])
def test_unit_pages_take_the_same_queries_with_enrolment(
    client, people, content, django_assert_max_num_queries, who
):
    client.force_login(people[who])
    with django_assert_max_num_queries(8):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("units:unit", kwargs={"unit": "f3"})).status_code == 200


def test_an_empty_home_page_says_what_to_do_for_each_person(client, people, staff_admin):
    assert "No units have been published yet." in client.get("/").content.decode()
    client.force_login(people["alice"])
    assert "You are not enrolled on any unit yet." in client.get("/").content.decode()
    client.force_login(staff_admin)
    page = client.get("/").content.decode()
    assert reverse("admin:units_unit_changelist") in page and "Import units" in page


def test_an_unpublished_units_answers_leave_the_queue_and_the_candidates_history(client, people):
    unit = make_unit("H1", criteria=1)
    revision = submit(people["alice"], unit.criteria.get())
    answer = revision.answer
    revisions = reverse("units:revisions", kwargs={"pk": answer.pk})
    review = reverse("units:review", kwargs={"pk": answer.pk})
    client.force_login(people["alice"])
    assert client.get(revisions).status_code == 200
    unit.unpublish()
    assert client.get(revisions).status_code == 404
    reply = client.post(reverse("units:reply", kwargs={"pk": answer.pk}), {"body": "hi"})
    assert reply.status_code == 404
    client.force_login(people["carol"])
    assert client.get(review).status_code == 404
    assert "H1 1.1" not in client.get(reverse("units:queue")).content.decode()
    unit.publish()
    assert client.get(review).status_code == 200
    assert Answer.objects.filter(pk=answer.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_upgrading_publishes_existing_units_and_enrols_every_candidate():
    """Migration 0014: a bank that had units before drafts and enrolment reads as before."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("units", "0013_publication_enrolment_imports")],
        [("units", "0014_publish_existing_enrol_candidates")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    User, Group = old.get_model("auth", "User"), old.get_model("auth", "Group")
    Permission = old.get_model("auth", "Permission")
    OldUnit = old.get_model("units", "Unit")
    unit = OldUnit.objects.create(code="M1", slug="m1", title="Old unit")
    draft_answer = Permission.objects.get(codename="draft_answer")
    group, _ = Group.objects.get_or_create(name="Candidate")  # a flush empties the groups
    group.permissions.add(draft_answer)
    User.objects.create(username="grouped").groups.add(group)
    User.objects.create(username="direct").user_permissions.add(draft_answer)
    User.objects.create(username="boss", is_superuser=True)
    User.objects.create(username="reader")

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    assert new.get_model("units", "Unit").objects.get(pk=unit.pk).published_at is not None
    enrolled = set(
        new.get_model("units", "Enrolment").objects.values_list("candidate__username", flat=True)
    )
    assert enrolled == {"grouped", "direct"}
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
