import pytest
from django.test import Client
from django.urls import reverse

from units import services
from units.models import Answer, Revision

from .conftest import JSON, make_unit, page_owner
from .html_safety import unsafe_markup

pytestmark = pytest.mark.django_db


def url(name, criterion, **kwargs):
    return reverse(
        f"units:{name}", kwargs={"unit": criterion.unit.slug, "code": criterion.code, **kwargs}
    )


@pytest.fixture
def alice_client(client, people):
    client.force_login(people["alice"])
    return client


def save(client, criterion, text, version, **headers):
    return client.post(
        url("save", criterion),
        {"text": text, "version": version, "owner": page_owner(client)},
        **headers,
    )


def test_drafting_page_shows_question_editor_and_model_answer(alice_client, criterion):
    html = alice_client.get(url("write", criterion) + "?lang=zh-Hans").content.decode()
    assert criterion.question in html
    assert '<textarea name="text" id="answer-text"' in html
    assert '<article class="card model-answer" lang="zh-Hans"' in html
    assert "This model answer: 2 words" in html  # "Answer **zh-Hans**"
    assert "Not started" in html


def test_autosave_creates_then_updates_with_versions(alice_client, people, criterion):
    first = save(alice_client, criterion, "Teamwork matters.", 0, **JSON)
    assert first.status_code == 200 and first.json()["version"] == 1
    second = save(alice_client, criterion, "Teamwork matters a lot.", 1, **JSON)
    assert second.json()["version"] == 2 and second.json()["word_count"] == 4
    answer = Answer.objects.get(candidate=people["alice"], learning_outcome=criterion)
    assert (answer.text, answer.version, answer.status) == ("Teamwork matters a lot.", 2, "draft")


def test_a_stale_save_gets_a_conflict_with_both_texts_and_overwrites_nothing(
    alice_client, criterion
):
    save(alice_client, criterion, "From tab one.", 0, **JSON)
    refused = save(alice_client, criterion, "From tab two.", 0, **JSON)
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "conflict"
    assert body["server_text"] == "From tab one." and body["server_version"] == 1
    assert Answer.objects.get().text == "From tab one."


def test_without_javascript_a_conflict_shows_both_texts_on_the_page(alice_client, criterion):
    save(alice_client, criterion, "From tab one.", 0)
    response = save(alice_client, criterion, "From tab two.", 0)
    html = response.content.decode()
    assert response.status_code == 409
    assert "From tab one." in html and "From tab two." in html
    assert '<input type="hidden" name="version" value="1">' in html  # Save again keeps mine
    assert Answer.objects.get().text == "From tab one."


def test_a_signed_out_save_gets_401_json_not_a_login_page(client, criterion):
    response = save(client, criterion, "Lost?", 0, **JSON)
    assert response.status_code == 401
    assert "Sign in again" in response.json()["message"]
    assert not Answer.objects.exists()


def test_a_csrf_failure_is_reported_to_the_script(people, criterion):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["alice"])
    response = save(client, criterion, "Text", 0, **JSON)
    assert response.status_code == 403 and response.json()["error"] == "csrf"
    assert not Answer.objects.exists()


def test_too_long_text_gets_a_clear_message_and_keeps_what_was_saved(alice_client, criterion):
    save(alice_client, criterion, "Saved before.", 0, **JSON)
    response = save(alice_client, criterion, "x" * 100_001, 1, **JSON)
    assert response.status_code == 400
    assert "at most 100000 characters" in response.json()["message"]
    assert Answer.objects.get().text == "Saved before."


def test_nul_bytes_are_cleaned_and_invalid_utf8_does_not_break_the_save(alice_client, criterion):
    assert save(alice_client, criterion, "a\x00b", 0, **JSON).status_code == 200
    assert Answer.objects.get().text == "ab"
    response = alice_client.post(
        url("save", criterion),
        b"text=caf%C3%A9%FF%FE&version=1&owner=" + page_owner(alice_client).encode(),
        content_type="application/x-www-form-urlencoded",
        **JSON,
    )
    assert response.status_code == 200
    assert Answer.objects.get().text.startswith("café")


def test_posted_owner_status_and_version_fields_are_ignored(alice_client, people, criterion):
    alice_client.post(
        url("save", criterion),
        {
            "text": "Mine.",
            "version": 0,
            "owner": page_owner(alice_client),
            "status": "accepted",
            "candidate": people["bob"].pk,
        },
        **JSON,
    )
    answer = Answer.objects.get()
    assert (answer.candidate, answer.status) == (people["alice"], "draft")


def test_submit_needs_the_declaration_and_keeps_the_text(alice_client, criterion):
    response = alice_client.post(
        url("submit", criterion),
        {"text": "My answer.", "version": 0, "owner": page_owner(alice_client)},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tick the declaration" in html and "My answer.</textarea>" in html
    assert not Revision.objects.exists()


def test_submit_freezes_a_revision_and_locks_the_answer(alice_client, criterion):
    response = alice_client.post(
        url("submit", criterion),
        {
            "text": "My answer.",
            "version": 0,
            "owner": page_owner(alice_client),
            "declaration": "on",
        },
    )
    assert response.status_code == 302
    answer = Answer.objects.get()
    assert answer.status == "submitted"
    assert list(answer.revisions.values_list("number", "text")) == [(1, "My answer.")]
    html = alice_client.get(url("write", criterion)).content.decode()
    assert 'name="text"' not in html and "with your assessor" in html  # no editor to type in
    refused = save(alice_client, criterion, "Sneaky edit.", answer.version, **JSON)
    assert refused.status_code == 409 and "with your assessor" in refused.json()["message"]
    assert Answer.objects.get().text == "My answer."


def test_preview_renders_hostile_markdown_harmlessly(alice_client):
    response = alice_client.post(
        reverse("units:preview"),
        {
            "text": "**ok** <script>alert(1)</script> [x](javascript:alert(1)) "
            "<img src=x onerror=alert(1)>"
        },
        **JSON,
    )
    html = response.json()["html"]
    assert "<strong>ok</strong>" in html
    assert unsafe_markup(html) == []


def test_hostile_draft_is_shown_as_text(alice_client, criterion):
    hostile = '</textarea><script>alert("x")</script>'
    save(alice_client, criterion, hostile, 0, **JSON)
    html = alice_client.get(url("write", criterion)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;/textarea&gt;&lt;script&gt;" in html


def test_revisions_compare_any_two(alice_client, people, criterion):
    alice = people["alice"]
    first = services.draft_submit(
        candidate=alice, criterion=criterion, text="We help customers.", base_version=0,
        declaration=True,
    )  # fmt: skip
    services.comment_add(answer=first.answer, author=people["carol"], body="Who do you help?")
    answer = services.answer_return(answer=first.answer, assessor=people["carol"])
    services.draft_submit(
        candidate=alice, criterion=criterion, text="We help internal customers.",
        base_version=answer.version, declaration=True,
    )  # fmt: skip
    page = reverse("units:revisions", kwargs={"pk": answer.pk})
    html = alice_client.get(page + "?a=1&b=2").content.decode()
    assert "Changes from revision 1 to revision 2" in html
    assert (
        '<ins><span class="visually-hidden">[added: </span>internal '
        '<span class="visually-hidden">]</span></ins>'
    ) in html
    assert alice_client.get(page + "?a=1&b=x").status_code == 200  # a clear message, not a 500


def test_progress_grid_shows_each_status(alice_client, people):
    unit = make_unit("P1", criteria=3)
    one, two, _ = unit.criteria.all()
    services.draft_save(candidate=people["alice"], criterion=one, text="Draft.", base_version=0)
    services.draft_submit(
        candidate=people["alice"], criterion=two, text="Done.", base_version=0, declaration=True
    )
    html = alice_client.get(reverse("units:progress")).content.decode()
    assert "progress-cell status-draft" in html
    assert "progress-cell status-submitted" in html
    assert "progress-cell status-not_started" in html
    home = alice_client.get("/").content.decode()
    assert "1 submitted, 1 in draft, 1 not started" in home


@pytest.mark.parametrize("n", [1, 50])
def test_drafting_page_query_count_stays_the_same_as_answers_grow(
    alice_client, people, django_assert_max_num_queries, n
):
    unit = make_unit("Q1", criteria=n + 1, languages=("ko", "sr-Cyrl", "zh-Hans"))
    criteria = list(unit.criteria.all())
    for criterion in criteria[1:]:
        services.draft_submit(
            candidate=people["alice"], criterion=criterion, text="An answer.", base_version=0,
            declaration=True,
        )  # fmt: skip
    alice_client.get("/")  # her roles are read once, then cached
    with django_assert_max_num_queries(8):
        assert alice_client.get(url("write", criteria[-1])).status_code == 200
    with django_assert_max_num_queries(8):
        assert alice_client.get(reverse("units:progress")).status_code == 200
    with django_assert_max_num_queries(8):
        assert alice_client.get("/").status_code == 200
    with django_assert_max_num_queries(8):
        assert alice_client.get(unit.get_absolute_url()).status_code == 200
