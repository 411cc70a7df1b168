"""Issue 10's trust defects that live in the drafting and review flow: a page
saving into someone else's answer, double submits, limits answered in the
wrong format, writing without limit, unlisted languages, the language cookie,
and one contract for every refusal."""

import json
import threading

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.urls import reverse

from units import services
from units.access import owner_token
from units.models import Action, Answer, AuditEntry, Comment, ModelAnswer, Profile, Revision

from .conftest import JSON, make_unit, page_owner

# shared_state: also run with REDIS_URL set (.ci/run): sessions, the cache, the outbox.
pytestmark = [pytest.mark.django_db, pytest.mark.shared_state]


def url(name, criterion):
    return reverse(f"units:{name}", kwargs={"unit": criterion.unit.slug, "code": criterion.code})


# --- 1. A page loaded for one person never saves into another's answer -------------


def test_a_page_loaded_for_alice_cannot_save_once_bob_signs_in_the_same_browser(
    client, people, criterion
):
    alice, bob = people["alice"], people["bob"]
    alice.first_name, bob.first_name = "Jelena", "Wei"
    alice.save(), bob.save()
    client.force_login(alice)
    alices_page = client.get(url("write", criterion)).content.decode()
    token = owner_token(alice)
    assert f'name="owner" value="{token}"' in alices_page
    # Alice's session ends; Bob signs in in the same browser.
    client.logout()
    client.force_login(bob)
    response = client.post(
        url("save", criterion), {"text": "Alice's words.", "version": 0, "owner": token}, **JSON
    )
    assert response.status_code == 403
    assert response.json() == {
        "error": "wrong_person",
        "message": "This page is Jelena's; you are signed in as Wei. Sign in as Jelena to "
        "save it — the text is kept in this browser.",
    }
    submitted = client.post(
        url("submit", criterion),
        {"text": "Alice's words.", "version": 0, "owner": token, "declaration": "on"},
    )
    assert submitted.status_code == 403 and "This page is Jelena" in submitted.content.decode()
    assert not Answer.objects.exists()


def test_keep_my_text_from_alices_page_cannot_overwrite_bobs_answer(client, people, criterion):
    bob = people["bob"]
    services.draft_save(candidate=bob, criterion=criterion, text="Bob's words.", base_version=0)
    client.force_login(bob)
    response = client.post(
        url("save", criterion),
        {"text": "Alice's words.", "version": 1, "owner": owner_token(people["alice"])},
        **JSON,
    )
    assert response.status_code == 403
    assert Answer.objects.get(candidate=bob).text == "Bob's words."


def test_a_forged_or_missing_owner_is_refused(client, people, criterion):
    client.force_login(people["alice"])
    forged = client.post(
        url("save", criterion), {"text": "x", "version": 0, "owner": "1:forged"}, **JSON
    )
    assert forged.status_code == 403 and forged.json()["error"] == "wrong_person"
    missing = client.post(url("save", criterion), {"text": "x", "version": 0}, **JSON)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid"
    assert not Answer.objects.exists()


def test_the_state_endpoint_tells_an_open_tab_what_the_server_holds(client, people, criterion):
    client.force_login(people["alice"])
    assert client.get(url("answer_state", criterion)).json()["status"] == "not_started"
    services.draft_save(
        candidate=people["alice"], criterion=criterion, text="Saved elsewhere.", base_version=0
    )
    state = client.get(url("answer_state", criterion)).json()
    assert (state["version"], state["text"], state["status"], state["status_label"]) == (
        1,
        "Saved elsewhere.",
        "draft",
        "Draft",
    )


# --- 9. The same submission sent twice is one submission ---------------------------


def test_a_repeated_submission_answers_success_and_makes_one_revision(client, people, criterion):
    client.force_login(people["alice"])
    data = {"text": "My answer.", "version": 0, "owner": page_owner(client), "declaration": "on"}
    first = client.post(url("submit", criterion), data)
    again = client.post(url("submit", criterion), data)
    assert (first.status_code, again.status_code) == (302, 302)
    assert Revision.objects.count() == 1
    assert AuditEntry.objects.filter(action=Action.SUBMIT).count() == 1


def test_a_different_text_after_submitting_is_still_refused(people, criterion):
    services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="First.", base_version=0,
        declaration=True,
    )  # fmt: skip
    with pytest.raises(services.AnswerLocked):
        services.draft_submit(
            candidate=people["alice"], criterion=criterion, text="Second.", base_version=0,
            declaration=True,
        )  # fmt: skip


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_four_concurrent_identical_submits_make_one_revision_and_all_succeed(people, criterion):
    alice = people["alice"]
    answer = services.draft_save(candidate=alice, criterion=criterion, text="v1", base_version=0)
    results = []
    ready = threading.Barrier(5)

    def submit():
        try:
            ready.wait()
            revision = services.draft_submit(
                candidate=alice, criterion=criterion, text="Final words.",
                base_version=answer.version, declaration=True,
            )  # fmt: skip
            results.append(revision.number)
        except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
            results.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        Answer.objects.select_for_update().get(pk=answer.pk)
        threads = [threading.Thread(target=submit) for _ in range(4)]
        for thread in threads:
            thread.start()
        ready.wait()
        threading.Event().wait(0.5)
    for thread in threads:
        thread.join(10)
    assert results == [1, 1, 1, 1]
    assert Revision.objects.count() == 1
    assert Answer.objects.get().status == "submitted"


# --- 10. Limits are answered in the format that was asked for ----------------------


def test_an_over_long_answer_is_refused_with_json_naming_the_limit(client, people, criterion):
    client.force_login(people["alice"])
    response = client.post(
        url("save", criterion),
        {"text": "x" * 100_001, "version": 0, "owner": page_owner(client)},
        **JSON,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "too_large"
    assert "100000" in response.json()["message"]


# --- 12. Writing is limited per person, with a clear message -----------------------


def test_comments_are_limited_per_person_and_say_so(client, people, criterion, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": "3/m"}
    revision = services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="Words.", base_version=0,
        declaration=True,
    )  # fmt: skip
    client.force_login(people["carol"])
    target = reverse("units:comment", kwargs={"pk": revision.answer_id})
    statuses = [client.post(target, {"body": f"Comment {n}"}).status_code for n in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert Comment.objects.count() == 3
    refused = client.post(target, {"body": "One more"}, **JSON)
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert refused.json()["error"] == "rate_limited"
    page = client.post(target, {"body": "And another"})
    assert "faster than the app allows" in page.content.decode()
    # Another assessor is not held back by Carol's pace.
    client.force_login(people["admin"])
    assert client.post(target, {"body": "From the admin"}).status_code == 302


def test_autosaves_are_limited_and_the_text_is_kept(client, people, criterion, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "save": "2/m"}
    client.force_login(people["alice"])
    owner = page_owner(client)
    for version, text in enumerate(["one", "two"]):
        response = client.post(
            url("save", criterion), {"text": text, "version": version, "owner": owner}, **JSON
        )
        assert response.status_code == 200
    refused = client.post(
        url("save", criterion), {"text": "three", "version": 2, "owner": owner}, **JSON
    )
    assert refused.status_code == 429
    assert Answer.objects.get().text == "two"


def test_long_threads_fold_older_comments(client, people, criterion):
    revision = services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="Words.", base_version=0,
        declaration=True,
    )  # fmt: skip
    Comment.objects.bulk_create(
        Comment(answer=revision.answer, revision=revision, author=people["carol"], body=f"C{n}")
        for n in range(30)
    )
    client.force_login(people["carol"])
    html = client.get(reverse("units:review", kwargs={"pk": revision.answer_id})).content.decode()
    assert "20 earlier comments" in html
    assert html.index("C0") < html.index("C29")


# --- 8. Languages the app does not list -------------------------------------------


def test_the_database_refuses_a_model_answer_in_an_unlisted_language(criterion):
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelAnswer.objects.create(learning_outcome=criterion, language="de", body="Antwort")


def test_a_fixture_in_an_unlisted_language_does_not_load(tmp_path, criterion):
    fixture = tmp_path / "de.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "units.modelanswer",
                    "fields": {
                        "learning_outcome": [criterion.unit.code, criterion.code],
                        "language": "de",
                        "body": "Antwort",
                    },
                }
            ]
        )
    )
    with pytest.raises(Exception, match="language_is_listed|CHECK constraint"):
        call_command("loaddata", str(fixture), verbosity=0)
    assert not ModelAnswer.objects.filter(language="de").exists()


def test_pages_survive_a_row_in_a_language_written_around_the_check(client, criterion):
    answer = ModelAnswer.objects.filter(learning_outcome=criterion).first()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE units_modelanswer DROP CONSTRAINT model_answer_language_is_listed"
            )
            cursor.execute(
                "UPDATE units_modelanswer SET language = 'de' WHERE id = %s", [answer.pk]
            )
        else:
            cursor.execute("PRAGMA ignore_check_constraints = 1")
            cursor.execute(
                "UPDATE units_modelanswer SET language = 'de' WHERE id = %s", [answer.pk]
            )
            cursor.execute("PRAGMA ignore_check_constraints = 0")
    pages = ["/", reverse("units:unit", kwargs={"unit": criterion.unit.slug})]
    for page in [*pages, url("criterion", criterion) + "?lang=de"]:
        assert client.get(page).status_code == 200, page


# --- 11 (issue 11) and 13: the model-answer language follows the person -------------


def test_a_signed_in_persons_language_is_stored_on_them_not_in_a_cookie(people, criterion):
    browser = Client()
    browser.force_login(people["alice"])
    response = browser.get(url("criterion", criterion) + "?lang=zh-Hans")
    assert "answer_language" not in response.cookies
    assert Profile.objects.get(user=people["alice"]).answer_language == "zh-Hans"
    other_device = Client()
    other_device.force_login(people["alice"])
    html = other_device.get(url("criterion", criterion)).content.decode()
    assert 'class="card model-answer" lang="zh-Hans"' in html


def test_an_anonymous_readers_language_cookie_has_the_session_cookies_flags(
    client, criterion, settings
):
    settings.SESSION_COOKIE_SECURE = True
    cookie = client.get(url("criterion", criterion) + "?lang=ko").cookies["answer_language"]
    assert cookie.value == "ko"
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


# --- Issue 11: the queue, the history, an accepted answer ---------------------------


def test_after_a_decision_the_page_offers_the_next_waiting_answer_with_the_same_filters(
    client, people
):
    unit_a, unit_b = make_unit("QA", criteria=3), make_unit("QB", criteria=1)
    alice, carol = people["alice"], people["carol"]
    submitted = [
        services.draft_submit(
            candidate=alice, criterion=c, text=f"On {c}.", base_version=0, declaration=True
        ).answer
        for c in [*unit_a.criteria.all(), *unit_b.criteria.all()]
    ]
    client.force_login(carol)
    first = submitted[0]
    filters = f"?unit={unit_a.pk}"
    response = client.post(
        reverse("units:decide", kwargs={"pk": first.pk}) + filters, {"action": "accept"}
    )
    assert response["Location"] == reverse("units:review", kwargs={"pk": first.pk}) + (
        filters + "#decision"
    )
    html = client.get(response["Location"]).content.decode()
    next_url = reverse("units:review", kwargs={"pk": submitted[1].pk}) + filters
    assert f'href="{next_url}"' in html and "Next waiting: QA 1.2" in html
    # Without the filter the oldest waiting answer of any unit is next; the
    # last one offers none.
    for answer in submitted[1:-1]:
        services.answer_accept(answer=answer, assessor=carol)
    last = client.get(reverse("units:review", kwargs={"pk": submitted[-1].pk}) + filters)
    assert "No other answer is waiting with these filters." in last.content.decode()


def test_history_reads_as_sentences(client, people, criterion):
    revision = services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="Words.", base_version=0,
        declaration=True,
    )  # fmt: skip
    carol = people["carol"]
    carol.first_name, carol.last_name = "Amara", "Okafor"
    carol.save()
    services.comment_add(answer=revision.answer, author=carol, body="More, please.")
    services.answer_return(answer=revision.answer, assessor=carol)
    client.force_login(carol)
    html = client.get(reverse("units:review", kwargs={"pk": revision.answer_id})).content.decode()
    assert "<bdi>alice</bdi> submitted revision 1." in html
    assert "<bdi>Amara Okafor</bdi> returned revision 1 for changes." in html


def test_an_accepted_answer_offers_no_comment_form(client, people, criterion):
    revision = services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="Words.", base_version=0,
        declaration=True,
    )  # fmt: skip
    services.answer_accept(answer=revision.answer, assessor=people["carol"])
    client.force_login(people["carol"])
    html = client.get(reverse("units:review", kwargs={"pk": revision.answer_id})).content.decode()
    assert "Add a comment on revision" not in html
    refused = client.post(
        reverse("units:comment", kwargs={"pk": revision.answer_id}), {"body": "Late."}, **JSON
    )
    assert refused.status_code == 409 and refused.json()["error"] == "not_allowed"
    assert not Comment.objects.exists()


# --- One contract for refusals -----------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (services.Invalid, "invalid", 400),
        (services.AnswerTooLong, "too_large", 400),
        (services.WrongPerson, "wrong_person", 403),
        (services.AnswerLocked, "locked", 409),
        (services.TransitionNotAllowed, "not_allowed", 409),
        (services.RateLimited, "rate_limited", 429),
        (services.Unavailable, "unavailable", 503),
    ],
)
def test_every_refusal_has_a_code_and_a_status(error, code, status):
    refusal = error("Why.")
    assert (refusal.code, refusal.status, refusal.as_json()) == (
        code,
        status,
        {"error": code, "message": "Why."},
    )


def test_a_refused_save_keeps_the_answer_and_reports_its_state(client, people, criterion):
    services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="Sent.", base_version=0,
        declaration=True,
    )  # fmt: skip
    client.force_login(people["alice"])
    response = client.post(
        url("save", criterion),
        {"text": "Changed.", "version": 2, "owner": page_owner(client)},
        **JSON,
    )
    assert response.status_code == 409
    assert response.json()["error"] == "locked"
    assert response.json()["status"] == "submitted"
    assert Answer.objects.get().text == "Sent."


def test_a_ten_megabyte_autosave_is_answered_in_json_with_the_limit(client, people, criterion):
    client.force_login(people["alice"])
    body = "text=" + "x" * 10_000_000 + "&version=0&owner=" + page_owner(client)
    response = client.post(
        url("save", criterion),
        body,
        content_type="application/x-www-form-urlencoded",
        **JSON,
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "too_large" and "2.5\xa0MB" in response.json()["message"]
    assert not Answer.objects.exists()


def test_an_admin_sees_and_sets_a_persons_model_answer_language(client, people):
    client.force_login(people["admin"])
    alice = people["alice"]
    change = reverse("admin:auth_user_change", args=[alice.pk])
    assert "Model-answer language" in client.get(change).content.decode()
    data = {
        "username": alice.username,
        "email": alice.email,
        "is_active": "on",
        "groups": [group.pk for group in alice.groups.all()],
        "date_joined_0": alice.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": alice.date_joined.strftime("%H:%M:%S"),
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "0",
        "profile-0-answer_language": "ko",
        "assessor_assignments-TOTAL_FORMS": "0",
        "assessor_assignments-INITIAL_FORMS": "0",
    }
    assert client.post(change, data).status_code == 302
    assert Profile.objects.get(user=alice).answer_language == "ko"


def test_the_state_endpoint_refuses_a_tab_loaded_for_someone_else(client, people, criterion):
    bob = people["bob"]
    services.draft_save(candidate=bob, criterion=criterion, text="Bob's words.", base_version=0)
    client.force_login(bob)
    state_url = url("answer_state", criterion)
    refused = client.get(state_url, {"owner": owner_token(people["alice"])})
    assert refused.status_code == 403 and refused.json()["error"] == "wrong_person"
    assert "Bob's words." not in refused.content.decode()
    own = client.get(state_url, {"owner": owner_token(bob)})
    assert own.json()["text"] == "Bob's words."
