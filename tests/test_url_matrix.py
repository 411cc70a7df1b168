"""Every URL the app has, for every role: anonymous, the owning candidate (Alice),
another candidate (Bob), the assigned assessor (Carol), another assessor (Dave),
the admin, the internal verifier (Grace) and the external verifier granted Alice's
portfolio (Tom). A URL added without a row here fails test_every_url_has_a_row."""

from datetime import timedelta

import pytest
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from units import services
from units.models import (
    Answer,
    AuditEntry,
    Comment,
    Decision,
    PortfolioExport,
    Revision,
    UnitSignOff,
    Verification,
)

from .conftest import page_owner

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "alice", "bob", "carol", "dave", "admin", "grace", "tom"]
ALL_200 = [200] * 8
SIGNED_IN = [302] + [200] * 7
CANDIDATES = [302, 200, 200, 403, 403, 403, 403, 403]
ASSESSORS = [302, 403, 403, 200, 200, 200, 403, 403]
VERIFIERS = [302, 403, 403, 403, 403, 200, 200, 403]
ALICES_ANSWER_FOR_REVIEW = [302, 403, 403, 200, 404, 200, 403, 403]
# Alice's portfolio: her assessor, the admin, the internal verifier and the external
# verifier she is granted to read it; not Dave, who assesses others.
ALICES_PORTFOLIO = [302, 403, 403, 200, 404, 200, 200, 200]

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
    "units:save": (
        "post",
        {"text": "Overwritten", "version": 0},
        [302, 409, 302, 403, 403, 403, 403, 403],
    ),
    "units:submit": (
        "post",
        {"text": "Overwritten", "version": 0},
        [302, 400, 400, 403, 403, 403, 403, 403],
    ),
    "units:answer_state": ("get", None, CANDIDATES),
    "units:revisions": ("get", None, [302, 200, 404, 403, 403, 403, 403, 403]),
    "units:reply": ("post", {"body": ""}, [302, 302, 404, 403, 403, 403, 403, 403]),
    "units:preview": ("post", {"text": "*hi*"}, [302, 200, 200, 200, 200, 200, 200, 200]),
    "units:progress": ("get", None, CANDIDATES),
    "units:queue": ("get", None, ASSESSORS),
    "units:review": ("get", None, ALICES_ANSWER_FOR_REVIEW),
    "units:comment": ("post", {"body": ""}, [302, 403, 403, 400, 404, 400, 403, 403]),
    "units:decide": ("post", {"action": "maybe"}, [302, 403, 403, 400, 404, 400, 403, 403]),
    "units:reopen": ("post", {"reason": ""}, [302, 403, 403, 400, 404, 400, 403, 403]),
    # Anyone may choose the interface language; back to the page they were on.
    "units:choose_language": ("post", {"language": "ko"}, [302] * 8),
    "units:language_settings": ("get", None, SIGNED_IN),
    # Everyone may search; what each finds is tested in test_search_page.
    "units:search": ("get", None, ALL_200),
    "units:javascript_catalogue": ("get", None, ALL_200),
    # Internal verification: the internal verifier and the admin (Carol's decision on
    # Alice's answer, which neither made).
    "units:sample": ("get", None, VERIFIERS),
    "units:sampling_plan": ("get", None, VERIFIERS),
    "units:sample_decision": ("get", None, VERIFIERS),
    "units:verdict": ("post", {"verdict": "maybe"}, [302, 403, 403, 403, 403, 400, 400, 403]),
    # The verdict is on Carol's decision: only Carol marks it read.
    "units:acknowledge": ("post", {}, [302, 403, 403, 302, 404, 404, 403, 403]),
    "units:portfolios": ("get", None, [302, 403, 403, 200, 200, 200, 200, 200]),
    "units:portfolio": ("get", None, ALICES_PORTFOLIO),
    "units:portfolio_unit": ("get", None, ALICES_PORTFOLIO),
    # An export in a format that does not exist: refused, back to the portfolio.
    "units:export_portfolio": (
        "post",
        {"file_format": "docx"},
        [302, 403, 403, 302, 404, 302, 302, 302],
    ),
    # Alice's unit is not all accepted: her assessor (and the admin) are refused (409).
    "units:sign_off": ("post", {}, [302, 403, 403, 409, 404, 409, 403, 403]),
    "units:countersign": ("post", {}, [302, 403, 403, 403, 403, 409, 409, 403]),
    # No declaration: refused, back to the progress page; only candidates get there.
    "units:confirm_unit": ("post", {}, [302, 302, 302, 403, 403, 403, 403, 403]),
    "units:exports": ("get", None, SIGNED_IN),
    # Carol's export of Alice's portfolio: hers alone to download.
    "units:download_export": ("get", None, [302, 404, 404, 200, 404, 404, 404, 404]),
    "units:personal_data": ("get", None, SIGNED_IN),
    "units:export_personal_data": ("post", {}, [302] * 8),
    "signed_in_again": ("get", None, SIGNED_IN),
    "login": ("get", None, ALL_200),
    "logout": ("post", {}, [302] * 8),
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
    "admin:units_portfoliogrant_changelist",
    "admin:units_recordaccess_changelist",
    "admin:units_portfolioexport_changelist",
    "admin:units_unitsignoff_changelist",
    "admin:units_verification_changelist",
]
ADMIN_EXPECTED = [302, 302, 302, 302, 302, 200, 302, 302]


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
    decision = answer.decisions.get()
    verification = Verification.objects.create(
        decision=decision, verifier=people["grace"], verdict="agree", feedback="Clear."
    )
    export = PortfolioExport.objects.create(
        requested_by=people["carol"], person=people["alice"], kind="portfolio",
        file_format="pdf", status="ready", file_name="portfolio.pdf", content=b"%PDF-1.7",
        size=8, language="en-gb", expires_at=timezone.now() + timedelta(days=7),
        unit_ids=[criterion.unit.pk],
    )  # fmt: skip
    return {
        "answer": answer,
        "criterion": criterion,
        "decision": decision,
        "verification": verification,
        "export": export,
        "alice": people["alice"],
    }


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
    if name in {"units:sample_decision", "units:verdict"}:
        kwargs = {"pk": world["decision"].pk}
    if name == "units:acknowledge":
        kwargs = {"pk": world["verification"].pk}
    if name in {"units:portfolio", "units:export_portfolio"}:
        kwargs = {"pk": world["alice"].pk}
    if name in {"units:portfolio_unit", "units:sign_off", "units:countersign"}:
        kwargs = {"pk": world["alice"].pk, "unit": criterion.unit.slug}
    if name == "units:confirm_unit":
        kwargs = {"unit": criterion.unit.slug}
    if name == "units:download_export":
        kwargs = {"pk": world["export"].pk}
    return reverse(name, kwargs=kwargs)


def alices_work(alice):
    return (
        sorted(Answer.objects.filter(candidate=alice).values_list("text", "status", "version")),
        Revision.objects.filter(answer__candidate=alice).count(),
        Comment.objects.exclude(author=alice).count(),
        Decision.objects.count(),
        AuditEntry.objects.count(),
        Verification.objects.count(),
        UnitSignOff.objects.count(),
        PortfolioExport.objects.filter(person=alice, kind="portfolio").count(),
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
