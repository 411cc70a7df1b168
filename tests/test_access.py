"""Who may reach the candidate's pages: each URL × role × owner.

Anonymous users are sent to sign in; a wrong role gets 403; another
candidate's answer answers 404; a POST that is refused changes nothing.
"""

import pytest
from django.urls import reverse

from units import services
from units.models import Answer

from .conftest import page_owner

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "alice", "bob", "carol", "dave", "admin"]


@pytest.fixture
def alices_answer(people, criterion):
    revision = services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="Alice's own words.",
        base_version=0, declaration=True,
    )  # fmt: skip
    services.comment_add(answer=revision.answer, author=people["carol"], body="More, please.")
    return services.answer_return(answer=revision.answer, assessor=people["carol"])


def as_role(client, people, role):
    if role != "anonymous":
        client.force_login(people[role])
    return client


def criterion_kwargs(criterion):
    return {"unit": criterion.unit.slug, "code": criterion.code}


def snapshot():
    return sorted(Answer.objects.values_list("candidate_id", "text", "status", "version"))


# (name, method, expected status per role) for the candidate's pages. POSTs are
# sent as the autosave script sends them (Accept: application/json), so a
# signed-out POST gets 401; Bob's save creates his own answer to the criterion.
MATRIX = [
    ("write", "get", [302, 200, 200, 403, 403, 403]),
    ("revisions", "get", [302, 200, 404, 403, 403, 403]),
    ("progress", "get", [302, 200, 200, 403, 403, 403]),
    # Alice's own POSTs come from a stale version: refused with a conflict.
    ("save", "post", [401, 409, 200, 403, 403, 403]),
    ("submit", "post", [401, 409, 409, 403, 403, 403]),
    ("preview", "post", [401, 200, 200, 200, 200, 200]),
]


def url_for(name, criterion, answer):
    if name in {"write", "save", "submit"}:
        return reverse(f"units:{name}", kwargs=criterion_kwargs(criterion))
    if name == "revisions":
        return reverse("units:revisions", kwargs={"pk": answer.pk})
    return reverse(f"units:{name}")


@pytest.mark.parametrize(("name", "method", "expected"), MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(client, people, criterion, alices_answer, name, method, expected, role):
    as_role(client, people, role)
    target = url_for(name, criterion, alices_answer)
    before = snapshot()
    if method == "get":
        response = client.get(target)
    else:
        # A stale version on purpose: a POST that gets through must still not
        # overwrite Alice's answer (Bob's save creates his own, from version 0).
        version = 0 if role == "bob" and name == "save" else 1
        response = client.post(
            target,
            {"text": "Overwritten!", "version": version, "owner": page_owner(client),
             "declaration": "on"},
            HTTP_ACCEPT="application/json",
        )  # fmt: skip
    status = expected[ROLES.index(role)]
    assert response.status_code == status, (name, role, response.status_code)
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    alice_after = [row for row in snapshot() if row[0] == people["alice"].pk]
    assert alice_after == [row for row in before if row[0] == people["alice"].pk]


def test_anonymous_json_requests_get_401(client, criterion):
    response = client.post(
        reverse("units:save", kwargs=criterion_kwargs(criterion)),
        {"text": "x", "version": 0, "owner": page_owner(client)},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 401


def test_a_candidate_cannot_reach_another_candidates_answer_through_the_page(
    client, people, criterion, alices_answer
):
    client.force_login(people["bob"])
    html = client.get(reverse("units:write", kwargs=criterion_kwargs(criterion))).content.decode()
    assert "Alice&#x27;s own words." not in html and "Alice's own words." not in html


def review_snapshot():
    from units.models import AuditEntry, Comment, Decision

    return (
        snapshot(),
        Comment.objects.count(),
        Decision.objects.count(),
        AuditEntry.objects.count(),
    )


# The assessor's pages and the candidate's reply, on Alice's returned answer.
# Refused requests (401, 403, 404, 409) must change nothing.
REVIEW_MATRIX = [
    ("queue", "get", {}, [302, 403, 403, 200, 200, 200]),
    ("review", "get", {}, [302, 403, 403, 200, 404, 200]),
    ("comment", "post", {"body": "Noted."}, [401, 403, 403, 302, 404, 302]),
    # Alice's answer is returned: neither accepting nor reopening is a move from there.
    ("decide", "post", {"action": "accept"}, [401, 403, 403, 409, 404, 409]),
    ("reopen", "post", {"reason": "Because."}, [401, 403, 403, 409, 404, 409]),
    ("reply", "post", {"body": "Thanks!"}, [401, 302, 404, 403, 403, 403]),
]


@pytest.mark.parametrize(("name", "method", "data", "expected"), REVIEW_MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_review_access_matrix(client, people, alices_answer, name, method, data, expected, role):
    as_role(client, people, role)
    target = (
        reverse("units:queue")
        if name == "queue"
        else reverse(f"units:{name}", kwargs={"pk": alices_answer.pk})
    )
    before = review_snapshot()
    if method == "get":
        response = client.get(target)
    else:
        response = client.post(target, data, HTTP_ACCEPT="application/json")
    status = expected[ROLES.index(role)]
    assert response.status_code == status, (name, role, response.status_code)
    if status in {400, 401, 403, 404} or method == "get":
        assert review_snapshot() == before


def test_an_assessor_does_not_see_other_assessors_candidates_in_the_queue(
    client, people, criterion, alices_answer
):
    services.draft_submit(
        candidate=people["bob"], criterion=criterion, text="Bob's.", base_version=0,
        declaration=True,
    )  # fmt: skip
    client.force_login(people["carol"])
    page = client.get(reverse("units:queue") + "?status=all").content.decode()
    assert "alice" in page and "bob" not in page
    client.force_login(people["admin"])
    page = client.get(reverse("units:queue") + "?status=all").content.decode()
    assert "alice" in page and "bob" in page
