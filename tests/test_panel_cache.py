"""The model-answer panel is drawn once and kept (views.common.model_answer_panel):
never at the cost of showing something no longer true. Every change to what it
shows appears on the very next request."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from units.models import LearningOutcome, ModelAnswer, Profile, Unit
from units.roles import CANDIDATE

from .conftest import make_unit, make_user

pytestmark = pytest.mark.django_db


def page(client, unit="t1", code="1.2", name="units:criterion", **params) -> str:
    url = reverse(name, kwargs={"unit": unit, "code": code})
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = client.get(url + ("?" + query if query else ""))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def unit(db):
    return make_unit("T1", criteria=3, languages=("ko", "zh-Hans"))


def answer(code="1.2", language="ko") -> ModelAnswer:
    return ModelAnswer.objects.get(learning_outcome__code=code, language=language)


def test_a_second_view_reads_the_kept_panel_with_fewer_queries(
    client, unit, django_assert_num_queries
):
    page(client)
    with django_assert_num_queries(1):  # the criterion (and its unit); nothing else
        assert "Answer <strong>ko</strong>" in page(client)


def test_an_edited_model_answer_shows_on_the_next_request(client, unit):
    assert "Answer <strong>ko</strong>" in page(client)
    edited = answer()
    edited.body = "A **new** answer"
    edited.save()
    html = page(client)
    assert "A <strong>new</strong> answer" in html
    assert "Answer <strong>ko</strong>" not in html


def test_a_new_and_a_deleted_language_show_on_the_next_request(client, unit):
    assert 'data-lang="hu"' not in page(client)
    ModelAnswer.objects.create(
        learning_outcome=answer().learning_outcome, language="hu", body="Magyar válasz"
    )
    assert 'data-lang="hu"' in page(client)
    assert "Magyar válasz" in page(client, lang="hu")
    answer(language="hu").delete()
    html = page(client, lang="hu")
    assert 'data-lang="hu"' not in html
    assert "There is no model answer in" in html


def test_a_changed_translation_of_the_question_shows_on_the_next_request(client, unit):
    edited = answer()
    edited.question = "질문이 바뀌었습니다"
    edited.save()
    assert "질문이 바뀌었습니다" in page(client)


def test_a_new_criterion_appears_among_the_neighbours(client, unit):
    assert "1.4 →" not in page(client, code="1.3")
    LearningOutcome.objects.create(unit=unit, code="1.4", outcome="LO1", question="Four?")
    assert "1.4 →" in page(client, code="1.3")


def test_a_new_unit_address_is_in_the_panel_at_once(client, unit):
    assert "/units/t1/criteria/1.2/model-answer/" in page(client)
    unit.refresh_from_db()
    unit.slug = "t-one"
    unit.save()
    html = page(client, unit="t-one")
    assert "/units/t-one/criteria/1.2/model-answer/" in html
    assert "/units/t1/" not in html


def test_a_fixture_loaded_again_shows_at_once(client, unit, tmp_path):
    page(client)
    fixture = tmp_path / "answer.json"
    fixture.write_text(
        '[{"model": "units.modelanswer", "pk": %d, "fields": {"learning_outcome": %d, '
        '"language": "ko", "question": "", "body": "Loaded **again**"}}]'
        % (answer().pk, answer().learning_outcome_id),
        encoding="utf-8",
    )
    call_command("loaddata", str(fixture), verbosity=0)
    assert "Loaded <strong>again</strong>" in page(client)


def test_a_bulk_change_moves_the_version_when_told(client, unit):
    page(client)
    ModelAnswer.objects.filter(language="ko").update(body="Bulk **edit**")
    Unit.content_changed(Unit.objects.filter(pk=unit.pk))
    assert "Bulk <strong>edit</strong>" in page(client)


def test_each_reader_gets_the_panel_of_their_language(client, unit):
    assert 'lang="ko"' in page(client, lang="ko")
    assert "Answer <strong>zh-Hans</strong>" in page(client, lang="zh-Hans")
    # The interface language: the panel's own words are in it.
    assert "Model answer in" in page(client)
    client.cookies["interface_language"] = "hu"
    html = page(client)
    assert "Mintaválasz" in html
    assert "Model answer in" not in html
    del client.cookies["interface_language"]
    assert "Model answer in" in page(client)


def test_a_persons_stored_choice_and_a_changed_choice_show_at_once(client, unit):
    mina = make_user("mina", CANDIDATE)
    client.force_login(mina)
    Profile.objects.update_or_create(user=mina, defaults={"answer_language": "zh-Hans"})
    assert "Answer <strong>zh-Hans</strong>" in page(client, name="units:write")
    Profile.objects.filter(user=mina).update(answer_language="ko")
    assert "Answer <strong>ko</strong>" in page(client, name="units:write")


def test_the_language_switch_fragment_follows_an_edit(client, unit):
    url = reverse("units:model_answer", kwargs={"unit": "t1", "code": "1.2"})
    assert "Answer <strong>zh-Hans</strong>" in client.get(url + "?lang=zh-Hans").content.decode()
    edited = answer(language="zh-Hans")
    edited.body = "新的答案"
    edited.save()
    assert "新的答案" in client.get(url + "?lang=zh-Hans").content.decode()


def test_the_pages_around_the_kept_panel_show_a_comment_and_a_decision_at_once(client, people):
    from units import services

    make_unit("T1", criteria=3, languages=("ko",))
    criterion = LearningOutcome.objects.get(unit__code="T1", code="1.2")
    alice, carol = people["alice"], people["carol"]
    answer = services.draft_submit(
        candidate=alice, criterion=criterion, text="My own words.", base_version=0,
        declaration=True,
    ).answer  # fmt: skip
    review = reverse("units:review", kwargs={"pk": answer.pk})
    client.force_login(carol)
    assert "Answer <strong>ko</strong>" in client.get(review).content.decode()  # kept now
    services.comment_add(answer=answer, author=carol, body="Say more about the team.")
    assert "Say more about the team." in client.get(review).content.decode()
    services.answer_return(answer=answer, assessor=carol)
    client.force_login(alice)
    html = page(client, name="units:write")
    assert "Say more about the team." in html
    assert "Answer <strong>ko</strong>" in html
