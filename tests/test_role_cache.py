"""A person's roles are cached between requests (one query less on every page),
and any change of role shows on the very next request, whichever side it is made
from: the person's groups, their own permissions, a group's permissions, a group
deleted, the account deactivated or made superuser."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from units.roles import ASSESSOR, CANDIDATE

from .conftest import make_unit

pytestmark = pytest.mark.django_db

PERMISSION_SQL = '"auth_permission"'


@pytest.fixture
def write_url(people):
    make_unit("R1", criteria=1)
    return reverse("units:write", kwargs={"unit": "r1", "code": "1.1"})


def permission_queries(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(url).status_code
    return status, sum(PERMISSION_SQL in q["sql"] for q in ctx.captured_queries)


def test_roles_are_read_once_then_come_from_the_cache(client, people, write_url):
    client.force_login(people["alice"])
    assert permission_queries(client, write_url) == (200, 1)
    assert permission_queries(client, write_url) == (200, 0)
    assert permission_queries(client, "/") == (200, 0)


def test_leaving_the_candidate_group_shows_at_once(client, people, write_url):
    alice = people["alice"]
    client.force_login(alice)
    assert client.get(write_url).status_code == 200
    alice.groups.remove(Group.objects.get(name=CANDIDATE))
    assert client.get(write_url).status_code == 403
    alice.groups.add(Group.objects.get(name=CANDIDATE))
    assert client.get(write_url).status_code == 200


def test_a_group_emptied_from_its_side_shows_at_once(client, people, write_url):
    client.force_login(people["alice"])
    assert client.get(write_url).status_code == 200
    Group.objects.get(name=CANDIDATE).user_set.clear()
    assert client.get(write_url).status_code == 403


def test_a_groups_permission_taken_away_shows_at_once(client, people, write_url):
    client.force_login(people["alice"])
    assert client.get(write_url).status_code == 200
    draft_answer = Permission.objects.get(codename="draft_answer")
    Group.objects.get(name=CANDIDATE).permissions.remove(draft_answer)
    assert client.get(write_url).status_code == 403
    draft_answer.group_set.add(Group.objects.get(name=CANDIDATE))  # from the other side
    assert client.get(write_url).status_code == 200


def test_a_permission_granted_directly_shows_at_once(client, people):
    client.force_login(people["dave"])
    queue = reverse("units:queue")
    assert client.get(queue).status_code == 200
    dave = people["dave"]
    dave.groups.remove(Group.objects.get(name=ASSESSOR))
    assert client.get(queue).status_code == 403
    dave.user_permissions.add(Permission.objects.get(codename="review_answer"))
    assert client.get(queue).status_code == 200


def test_a_deleted_group_and_a_deactivated_account_show_at_once(client, people, write_url):
    client.force_login(people["alice"])
    assert client.get(write_url).status_code == 200
    Group.objects.get(name=CANDIDATE).delete()
    assert client.get(write_url).status_code == 403

    client.force_login(people["bob"])
    bob = people["bob"]
    bob.groups.add(Group.objects.create(name="Writers"))
    bob.groups.get(name="Writers").permissions.add(Permission.objects.get(codename="draft_answer"))
    assert client.get(write_url).status_code == 200
    bob.is_active = False
    bob.save()
    assert client.get(write_url).status_code in (302, 403)
