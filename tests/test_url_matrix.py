"""Every URL the app has, for every role: anonymous, the owning candidate (Alice),
another candidate (Bob), the assigned assessor (Carol), another assessor (Dave)
and the admin. A URL added without a row here fails test_every_url_has_a_row."""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from units import services
from units.models import Answer, AuditEntry, Comment, Decision, Revision

from .conftest import page_owner

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "alice", "bob", "carol", "dave", "admin"]
ALL_200 = [200] * 6
SIGNED_IN = [302, 200, 200, 200, 200, 200]
CANDIDATES = [302, 200, 200, 403, 403, 403]
ASSESSORS = [302, 403, 403, 200, 200, 200]
ALICES_ANSWER_FOR_REVIEW = [302, 403, 403, 200, 404, 200]

# name: (method, data for a POST, expected status per role). POSTs carry data that
# the rules refuse where they get through (a stale version, no declaration, an
# empty comment…), so nothing of Alice's may change whatever the role.
MATRIX = {
    "units:home": ("get", None, ALL_200),
    "units:unit": ("get", None, ALL_200),
    "units:criterion": ("get", None, ALL_200),
    "units:model_answer": ("get", None, ALL_200),
    "units:reading": ("get", None, ALL_200),
    "units:write": ("get", None, CANDIDATES),
    # Bob's save makes his own answer (302 back to his page); Alice's is stale (409).
    "units:save": ("post", {"text": "Overwritten", "version": 0}, [302, 409, 302, 403, 403, 403]),
    "units:submit": ("post", {"text": "Overwritten", "version": 0}, [302, 400, 400, 403, 403, 403]),
    "units:answer_state": ("get", None, CANDIDATES),
    "units:revisions": ("get", None, [302, 200, 404, 403, 403, 403]),
    "units:reply": ("post", {"body": ""}, [302, 302, 404, 403, 403, 403]),
    "units:preview": ("post", {"text": "*hi*"}, [302, 200, 200, 200, 200, 200]),
    "units:progress": ("get", None, CANDIDATES),
    "units:queue": ("get", None, ASSESSORS),
    "units:review": ("get", None, ALICES_ANSWER_FOR_REVIEW),
    "units:comment": ("post", {"body": ""}, [302, 403, 403, 400, 404, 400]),
    "units:decide": ("post", {"action": "maybe"}, [302, 403, 403, 400, 404, 400]),
    "units:reopen": ("post", {"reason": ""}, [302, 403, 403, 400, 404, 400]),
    # Anyone may choose the interface language; back to the page they were on.
    "units:choose_language": ("post", {"language": "ko"}, [302] * 6),
    "units:language_settings": ("get", None, SIGNED_IN),
    # Everyone may search; what each finds is tested in test_search_page.
    "units:search": ("get", None, ALL_200),
    "units:javascript_catalogue": ("get", None, ALL_200),
    "signed_in_again": ("get", None, SIGNED_IN),
    "login": ("get", None, ALL_200),
    "logout": ("post", {}, [302] * 6),
    "password_change": ("get", None, SIGNED_IN),
    "password_change_done": ("get", None, SIGNED_IN),
    "password_reset": ("get", None, ALL_200),
    "password_reset_done": ("get", None, ALL_200),
    "password_reset_confirm": ("get", None, ALL_200),
    "password_reset_complete": ("get", None, ALL_200),
}
# The admin site is one rule: staff only; everyone else is sent to its sign-in.
ADMIN_SAMPLE = [
    "admin:index",
    "admin:units_answer_changelist",
    "admin:units_auditentry_changelist",
    "admin:units_securityevent_changelist",
    "admin:auth_user_changelist",
    "admin:units_unit_changelist",
    "admin:units_unit_import",
    "admin:units_unit_import_document",
    "admin:units_contentimport_changelist",
    "admin:units_enrolment_changelist",
    "admin:units_enrolment_import",
    "admin:units_qualification_changelist",
]
ADMIN_EXPECTED = [302, 302, 302, 302, 302, 200]


def named_urls(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                yield "admin:*"
                continue
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from named_urls(pattern, namespace)
        else:
            yield f"{prefix}{pattern.name}" if pattern.name else f"unnamed {pattern.pattern}"


def test_every_url_has_a_row():
    missing = sorted(set(named_urls()) - set(MATRIX) - {"admin:*"})
    assert missing == [], f"add these URLs to the access matrix: {missing}"


@pytest.fixture
def world(people, criterion):
    revision = services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="Alice's own words.",
        base_version=0, declaration=True,
    )  # fmt: skip
    services.comment_add(answer=revision.answer, author=people["carol"], body="More, please.")
    answer = services.answer_return(answer=revision.answer, assessor=people["carol"])
    return {"answer": answer, "criterion": criterion}


def url_for(name, world):
    criterion, answer = world["criterion"], world["answer"]
    kwargs = {
        "units:unit": {"unit": criterion.unit.slug},
        "units:reading": {"slug": "r"},
        "units:javascript_catalogue": {"code": "ko"},
        "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
    }.get(name)
    if name in {"units:criterion", "units:model_answer", "units:write", "units:save",
                "units:submit", "units:answer_state"}:  # fmt: skip
        kwargs = {"unit": criterion.unit.slug, "code": criterion.code}
    if name in {"units:revisions", "units:reply", "units:review", "units:comment",
                "units:decide", "units:reopen"}:  # fmt: skip
        kwargs = {"pk": answer.pk}
    return reverse(name, kwargs=kwargs)


def alices_work(alice):
    return (
        sorted(Answer.objects.filter(candidate=alice).values_list("text", "status", "version")),
        Revision.objects.filter(answer__candidate=alice).count(),
        Comment.objects.exclude(author=alice).count(),
        Decision.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_url_matrix(client, people, world, name, role):
    from units.models import Reading

    Reading.objects.create(slug="r", language="hr", title="Čitanje", body="Tekst")
    method, data, expected = MATRIX[name]
    if role != "anonymous":
        client.force_login(people[role])
    before = alices_work(people["alice"])
    url = url_for(name, world)
    if name in {"units:save", "units:submit"}:
        data = {**data, "owner": page_owner(client)}
    response = client.get(url) if method == "get" else client.post(url, data)
    wanted = expected[ROLES.index(role)]
    assert response.status_code == wanted, (name, role, response.status_code)
    if wanted == 302 and role == "anonymous" and name not in {"logout", "units:choose_language"}:
        assert response["Location"].startswith(reverse("login"))
    if not (name == "units:reply" and role == "alice"):  # Alice's reply is hers to add
        assert alices_work(people["alice"]) == before, (name, role)


@pytest.mark.parametrize("name", ADMIN_SAMPLE)
@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_staff_only(client, people, name, role):
    if role != "anonymous":
        client.force_login(people[role])
    response = client.get(reverse(name))
    assert response.status_code == ADMIN_EXPECTED[ROLES.index(role)], (name, role)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("admin:login"))
