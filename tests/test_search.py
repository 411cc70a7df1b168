"""Search: what each language's queries find in the real fixtures (and what they
must not), who sees which answers, hostile queries, and an index that follows
every change. Run on SQLite and on PostgreSQL (DATABASE_URL)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from units import search as engine
from units import services
from units.models import (
    Answer,
    Assignment,
    LearningOutcome,
    ModelAnswer,
    Reading,
    SearchEntry,
    Unit,
)
from units.roles import CANDIDATE
from units.search import Kind, search

from .conftest import FIXTURE_FILES, make_user

pytestmark = pytest.mark.django_db

F3, A601 = "F3", "A/601/2550"
HR_READING = "customer-service-standards-and-procedures"
HU_READING = "five-principles-of-quality-service"


def found(query, user=None, kind=None, per_kind=50):
    """The records a query finds, of one kind, best first."""
    results = search(query, user or AnonymousUser(), per_kind=per_kind)
    return [hit.object for group in results.groups if group.kind == kind for hit in group.hits]


def criterion(unit, code):
    return LearningOutcome.objects.get(unit__code=unit, code=code)


def model_answer(unit, code, language):
    return ModelAnswer.objects.get(
        learning_outcome__unit__code=unit, learning_outcome__code=code, language=language
    )


def describe(record):
    """A record as the table below names it."""
    if isinstance(record, Reading):
        return record.slug
    if isinstance(record, ModelAnswer):
        return (record.learning_outcome.unit.code, record.learning_outcome.code, record.language)
    return (record.unit.code, record.code)


# query, kind, the record it must find first, records it must not find
LANGUAGE_TABLE = [
    # Serbian: either script finds the Cyrillic model answer; inflected forms too.
    ("timski rad", Kind.MODEL_ANSWER, (F3, "3.5", "sr-Cyrl"), [(F3, "3.5", "ko")]),
    ("тимски рад", Kind.MODEL_ANSWER, (F3, "3.5", "sr-Cyrl"), [(F3, "3.5", "ko")]),
    ("TIMSKI RAD", Kind.MODEL_ANSWER, (F3, "3.5", "sr-Cyrl"), []),
    ("timskom radu", Kind.MODEL_ANSWER, (F3, "3.5", "sr-Cyrl"), []),
    ("korisničkim uslugama", Kind.MODEL_ANSWER, None, [(F3, "3.10", "ko")]),
    # Korean: a word inside a longer one (팀워크가), two words inside 고객 만족도/만족을.
    ("팀워크", Kind.MODEL_ANSWER, (F3, "3.5", "ko"), [(F3, "3.5", "sr-Cyrl")]),
    ("고객 만족", Kind.MODEL_ANSWER, None, [(F3, "3.5", "sr-Cyrl"), (A601, "6.1", "zh-Hans")]),
    # Chinese: two characters, one character, and a long run found whole.
    ("投诉", Kind.MODEL_ANSWER, (A601, "5.3", "zh-Hans"), [(F3, "3.5", "ko")]),
    ("顾客投诉程序", Kind.MODEL_ANSWER, (A601, "5.3", "zh-Hans"), [(A601, "6.2", "zh-Hans")]),
    # Croatian and Hungarian readings, with or without diacritics, and inflected.
    ("korisnička služba", Kind.READING, HR_READING, [HU_READING]),
    ("korisnicka sluzba", Kind.READING, HR_READING, [HU_READING]),
    ("Korisničke", Kind.READING, HR_READING, [HU_READING]),
    ("ügyfél", Kind.READING, HU_READING, [HR_READING]),
    ("ugyfel", Kind.READING, HU_READING, [HR_READING]),
    ("ügyfélnek", Kind.READING, HU_READING, [HR_READING]),
    ("minőségi szolgáltatás", Kind.READING, HU_READING, [HR_READING]),
    # English: the criterion first; inflected forms through the stems.
    ("teamwork", Kind.CRITERION, (F3, "3.5"), [(F3, "3.10")]),
    ("effective teamwork", Kind.CRITERION, (F3, "3.5"), [(F3, "3.10")]),
    ("complaint", Kind.CRITERION, (A601, "5.3"), [(F3, "3.5")]),
    ("monitoring", Kind.CRITERION, (A601, "6.1"), [(F3, "3.5")]),
    ("expectation", Kind.CRITERION, None, [(F3, "3.5")]),
    ("3.5", Kind.CRITERION, (F3, "3.5"), []),
]


@pytest.mark.parametrize(("query", "kind", "first", "absent"), LANGUAGE_TABLE)
def test_each_language_finds_the_right_record_first(content, query, kind, first, absent):
    results = [describe(record) for record in found(query, kind=kind)]
    assert results, f"{query!r} found nothing"
    if first is not None:
        assert results[0] == first, results
    for record in absent:
        assert record not in results


def test_both_scripts_of_serbian_find_the_same(content):
    cyrillic = found("тимски рад", kind=Kind.MODEL_ANSWER)
    assert cyrillic == found("timski rad", kind=Kind.MODEL_ANSWER)
    assert cyrillic == found("Timski Rad", kind=Kind.MODEL_ANSWER)


def test_diacritics_are_optional(content):
    assert found("korisnička služba", kind=Kind.READING) == found(
        "korisnicka sluzba", kind=Kind.READING
    )
    assert found("ügyfél", kind=Kind.READING) == found("ugyfel", kind=Kind.READING)


def test_korean_phrase_finds_both_answers_and_only_korean(content):
    results = found("고객 만족", kind=Kind.MODEL_ANSWER)
    assert {describe(r) for r in results} >= {(F3, "3.8", "ko"), (F3, "3.9", "ko")}
    assert {r.language for r in results} == {"ko"}


def test_one_chinese_character_finds_the_chinese_answers_only(content):
    results = found("质", kind=Kind.MODEL_ANSWER)
    assert {describe(r) for r in results} >= {
        (A601, "4.1", "zh-Hans"),
        (A601, "4.2", "zh-Hans"),
        (A601, "4.3", "zh-Hans"),
    }
    assert {r.language for r in results} == {"zh-Hans"}
    assert found("质", kind=Kind.CRITERION) == found("质", kind=Kind.READING) == []


def test_a_long_chinese_query_does_not_over_match(content):
    """Every pair of 诉被用来 is in the 5.3 answer, but never side by side."""
    query = "诉被用来"
    texts = [answer.question + answer.body for answer in ModelAnswer.objects.all()]
    text = model_answer(A601, "5.3", "zh-Hans").body
    assert all(query[i : i + 2] in text for i in range(len(query) - 1))
    assert not any(query in t for t in texts)
    assert found(query, kind=Kind.MODEL_ANSWER) == []


def test_an_english_query_reaches_every_language_through_the_criterion(content):
    results = search("teamwork", AnonymousUser())
    criteria = [hit.object for hit in results.groups[0].hits]
    assert describe(criteria[0]) == (F3, "3.5")
    model_answers = results.groups[1].hits
    assert {describe(hit.object) for hit in model_answers} >= {
        (F3, "3.5", "sr-Cyrl"),
        (F3, "3.5", "ko"),
    }
    assert all(hit.via == criteria[0] for hit in model_answers if hit.score == 0)


def test_found_model_answers_come_before_those_of_the_criteria(content):
    hits = search("customers", AnonymousUser()).groups[1].hits
    through_criteria = [hit.via is not None for hit in hits]
    assert through_criteria == sorted(through_criteria)  # direct hits, then the rest
    assert any(through_criteria) and not all(through_criteria)


def test_the_exact_phrase_ranks_above_the_words_and_the_words_above_stems(content):
    hits = search("customer expectations", AnonymousUser(), per_kind=50).groups[0].hits
    by_record = {describe(hit.object): hit.score for hit in hits}
    phrase = by_record[(F3, "3.1")]  # "meet customer expectations"
    words = by_record[(F3, "3.4")]  # "customers form their expectations"
    assert phrase >= 3 > words >= 1
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    stems = search("expectation", AnonymousUser()).groups[0].hits
    assert all(1 <= hit.score < 2 for hit in stems)  # "expectations" only through the stem


def test_groups_come_in_a_fixed_order_and_say_when_there_are_more(content):
    results = search("customer", AnonymousUser(), per_kind=2)
    assert [group.kind for group in results.groups] == [
        Kind.CRITERION,
        Kind.MODEL_ANSWER,
        Kind.READING,
    ]
    assert len(results.groups[0].hits) == 2 and results.groups[0].more
    assert [group.kind for group in results] == [g.kind for g in results.groups if g.hits]


def test_snippets_mark_the_match_in_its_own_script(content):
    hit = search("timski rad", AnonymousUser()).groups[1].hits[0]
    assert hit.language == "sr-Cyrl"
    assert "<mark>тимски рад</mark>" in hit.snippet
    assert len(re.sub(r"<[^>]+>", "", hit.snippet)) <= engine.SNIPPET_CHARS + 2
    hit = search("投诉", AnonymousUser()).groups[1].hits[0]
    assert "<mark>投诉</mark>" in hit.snippet and hit.language == "zh-Hans"
    hit = search("ugyfel", AnonymousUser()).groups[2].hits[0]
    assert "<mark>ügyfél</mark>" in hit.snippet and hit.language == "hu"


def test_snippets_are_escaped(db):
    reading = Reading.objects.create(
        slug="x", language="en", title="Odd", body='<script>alert("quokka")</script> & quokka'
    )
    snippet = search("quokka", None).groups[2].hits[0].snippet
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet and "&amp;" in snippet
    assert snippet.count("<mark>quokka</mark>") == 2
    assert search("quokka", None).groups[2].hits[0].object == reading


# --- Who sees which answers ----------------------------------------------------


@pytest.fixture
def answers(content, people):
    """Alice's draft (never submitted), Alice's submitted answer, Bob's answer."""
    c51, c53 = criterion(A601, "5.1"), criterion(A601, "5.3")
    draft = Answer.objects.create(
        candidate=people["alice"], learning_outcome=c51, text="Quokka draft, not submitted."
    )
    submitted = services.draft_submit(
        candidate=people["alice"],
        criterion=c53,
        text="Our quokka complaints procedure logs every complaint.",
        base_version=0,
        declaration=True,
    ).answer
    bobs = services.draft_submit(
        candidate=people["bob"],
        criterion=c53,
        text="Bob's quokka procedure is different.",
        base_version=0,
        declaration=True,
    ).answer
    return {"draft": draft, "submitted": submitted, "bobs": bobs}


def test_a_candidate_finds_only_their_own_answers(answers, people):
    assert set(found("quokka", people["alice"], Kind.ANSWER)) == {
        answers["draft"],
        answers["submitted"],
    }
    assert found("quokka", people["bob"], Kind.ANSWER) == [answers["bobs"]]
    assert found("Bob", people["alice"], Kind.ANSWER) == []


def test_an_assessor_finds_their_candidates_submitted_answers_only(answers, people):
    assert found("quokka", people["carol"], Kind.ANSWER) == [answers["submitted"]]
    assert found("quokka", people["dave"], Kind.ANSWER) == []


def test_an_admin_finds_every_answer(answers, people):
    assert set(found("quokka", people["admin"], Kind.ANSWER)) == set(answers.values())


def test_anonymous_readers_find_no_answers(answers):
    results = search("quokka", AnonymousUser())
    assert Kind.ANSWER not in [group.kind for group in results.groups]
    assert not results


def test_an_answer_hit_names_its_criterion_and_candidate(
    answers, people, django_assert_num_queries
):
    with django_assert_num_queries(4):  # roles, the candidates' ids, matches, records
        hit = search("quokka complaints", people["carol"]).groups[3].hits[0]
        assert hit.object.learning_outcome.unit.code == A601
        assert hit.object.candidate == people["alice"]
    assert "<mark>quokka complaints</mark>" in hit.snippet


def test_assessors_find_the_submitted_text_and_the_draft(answers, people):
    answer = answers["submitted"]
    services.comment_add(answer=answer, author=people["carol"], body="Say more.")
    answer = services.answer_return(answer=answer, assessor=people["carol"])
    Answer.objects.filter(pk=answer.pk).update(text="Rewritten with a wombat.")
    engine.index_answer(Answer.objects.get(pk=answer.pk))
    for word in ["wombat", "logs every complaint"]:
        assert found(word, people["carol"], Kind.ANSWER) == [answer]
    revision_hit = search("logs every", people["carol"]).groups[3].hits[0]
    assert revision_hit.revision == answer.revisions.get()
    assert search("wombat", people["carol"]).groups[3].hits[0].revision is None
    # One hit per answer, even when the draft and the revision both match.
    assert found("quokka", people["alice"], Kind.ANSWER).count(answer) == 1


# --- Hostile and odd queries -----------------------------------------------------

NOTHING_TO_SEARCH = ["", "   ", "!!!", "🙂🙂", "—…", "\x00", "\u202e", '( ) : ^ * " -']
SYNTAX = [
    '"',
    "*",
    "teamwork*",
    '"teamwork',
    "-teamwork",
    "teamwork:",
    "tokens:teamwork",
    "^teamwork",
    "NEAR(teamwork customer)",
    "teamwork AND OR NOT",
    "teamwork & | ! <-> :*",
    "teamwork'",
    "'; DROP TABLE units_searchentry; --",
    "teamwork\x00",
    "\\teamwork",
    "%teamwork_",
]


@pytest.mark.parametrize("query", NOTHING_TO_SEARCH)
def test_a_query_with_nothing_to_search_for_says_so(content, query):
    results = search(query, AnonymousUser())
    assert results.empty and not results.too_short and not results


@pytest.mark.parametrize("query", SYNTAX)
def test_search_syntax_is_just_text(content, people, query):
    for user in [AnonymousUser(), people["alice"], people["admin"]]:
        search(query, user)
    if "teamwork" in query and not re.search(r"[^\W_]", query.replace("teamwork", "")):
        # Punctuation around a word is no operator: the word is still found.
        assert describe(found(query, kind=Kind.CRITERION)[0]) == (F3, "3.5")
    assert SearchEntry.objects.exists()


def test_one_letter_is_too_short(content):
    results = search("a", AnonymousUser())
    assert results.too_short and not results.empty and not results
    assert search("质", AnonymousUser())  # one Chinese character is a word


def test_long_queries_are_cut(content, people):
    for query in ["x" * 1000, "投诉" * 500, " ".join(["teamwork"] * 400), "팀워크 " * 300]:
        results = search(query, people["admin"])
        assert results.truncated
        assert len(results.query.text) <= engine.MAX_QUERY_CHARS
        assert len(results.query.terms) <= engine.MAX_TERMS
    many = " ".join(f"word{n}" for n in range(30))
    assert len(search(many, None).query.terms) == engine.MAX_TERMS
    assert describe(found("teamwork " * 300, kind=Kind.CRITERION)[0]) == (F3, "3.5")


def test_mixed_scripts(content):
    assert found("teamwork 팀워크 тимски 投诉 ügyfél", kind=Kind.MODEL_ANSWER) == []
    assert search("3.5 팀워크", AnonymousUser()) is not None
    mixed = found("CRM系统 and 팀워크가", kind=Kind.MODEL_ANSWER)
    assert mixed == []


# --- The tokeniser ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("тимски рад", "timski rad"),
        ("Ђак џеп", "djak dzep"),
        ("Đak", "dJak"),
        ("korisnička služba", "KORISNICKA SLUZBA"),
        ("ügyfél", "ugyfel"),
        ("ＴＥＡＭＷＯＲＫ", "teamwork"),  # full-width letters
        ("e\u0301te\u0301", "été"),  # decomposed accents
    ],
)
def test_spellings_that_meet(one, other):
    assert engine.document_tokens(one) == engine.document_tokens(other)


def test_tokens_are_plain_ascii_words():
    text = "Timski rad, 팀워크가 中文质量 ügyfél — naïve Ελληνικά عربى 🙂 C++ 3.5"
    tokens = engine.document_tokens(text)
    assert re.fullmatch(r"[a-z0-9]+( [a-z0-9]+)*", tokens)
    assert "wtimski" in tokens.split() and "srad" in tokens.split()


# --- Keeping the index fresh -------------------------------------------------------


def test_a_changed_criterion_is_found_by_its_new_words(content):
    c = criterion(F3, "3.5")
    c.question = "Why does a platypus matter?"
    c.save()
    assert found("platypus", kind=Kind.CRITERION) == [c]
    assert c not in found("teamwork", kind=Kind.CRITERION)
    assert model_answer(F3, "3.5", "ko") in found("platypus", kind=Kind.MODEL_ANSWER)


def test_a_changed_unit_code_is_found(content):
    unit = Unit.objects.get(code=F3)
    unit.code = "F33"
    unit.save()
    assert len(found("F33", kind=Kind.CRITERION)) == 10
    assert SearchEntry.objects.filter(kind=Kind.MODEL_ANSWER, title__startswith="F33 ").count()


def test_a_changed_model_answer_and_reading_are_found(content):
    answer = model_answer(F3, "3.5", "ko")
    answer.body = "캥거루 **wombat**"
    answer.save()
    assert found("wombat", kind=Kind.MODEL_ANSWER) == [answer]
    assert answer not in found("좋은 팀을 만든", kind=Kind.MODEL_ANSWER)  # the old body
    reading = Reading.objects.get(slug=HU_READING)
    reading.title_en = "Numbat principles"
    reading.save()
    assert found("numbat", kind=Kind.READING) == [reading]


def test_a_new_answer_and_a_new_revision_are_found(content, people):
    c = criterion(F3, "3.5")
    answer = Answer.objects.create(candidate=people["alice"], learning_outcome=c, text="Okapi.")
    assert found("okapi", people["alice"], Kind.ANSWER) == [answer]
    services.draft_submit(
        candidate=people["alice"],
        criterion=c,
        text="Tapir.",
        base_version=answer.version,
        declaration=True,
    )
    assert found("tapir", people["carol"], Kind.ANSWER) == [answer]


def test_a_saved_draft_is_found(content, people):
    c = criterion(F3, "3.5")
    answer = services.draft_save(
        candidate=people["alice"], criterion=c, text="One.", base_version=0
    )
    services.draft_save(
        candidate=people["alice"], criterion=c, text="Capybara.", base_version=answer.version
    )
    assert found("capybara", people["alice"], Kind.ANSWER) == [answer]


def test_deleted_records_are_not_found(answers, people):
    answers["bobs"].delete()
    assert set(found("quokka", people["admin"], Kind.ANSWER)) == {
        answers["submitted"],
        answers["draft"],
    }
    model_answer(A601, "5.3", "zh-Hans").delete()
    assert found("顾客投诉程序", kind=Kind.MODEL_ANSWER) == []
    Reading.objects.get(slug=HR_READING).delete()
    assert found("korisnička", kind=Kind.READING) == []
    c = criterion(F3, "3.5")
    pk = c.pk
    c.delete()  # and its model answers with it
    assert found("teamwork", kind=Kind.CRITERION) == []
    assert found("팀워크", kind=Kind.MODEL_ANSWER) == []
    assert not SearchEntry.objects.filter(criterion_id=pk).exists()


def test_fixtures_are_indexed_only_by_a_rebuild(db):
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)  # raw saves: skipped
    assert not SearchEntry.objects.exists()
    call_command("rebuild_search_index", verbosity=0)
    assert SearchEntry.objects.filter(kind=Kind.CRITERION).count() == 28
    assert SearchEntry.objects.filter(kind=Kind.MODEL_ANSWER).count() == 29
    assert SearchEntry.objects.filter(kind=Kind.READING).count() == 2


QUERIES = ["teamwork", "quokka", "тимски рад", "投诉", "customer service", "ugyfel", "tapir"]


def _snapshot(users):
    return {
        (query, name): [
            (group.kind, hit.object.pk, str(hit.snippet), hit.score, hit.via and hit.via.pk)
            for group in search(query, user).groups
            for hit in group.hits
        ]
        for query in QUERIES
        for name, user in users.items()
    }


def test_a_rebuild_finds_what_the_updates_found(answers, people):
    c = criterion(F3, "3.5")
    c.question += " Tapir."
    c.save()
    reading = Reading.objects.get(slug=HR_READING)
    reading.body += "\n\nQuokka."
    reading.save()
    users = {"anonymous": AnonymousUser(), **people}
    before = _snapshot(users)
    count = SearchEntry.objects.count()
    call_command("rebuild_search_index", verbosity=0)
    assert SearchEntry.objects.count() == count
    assert _snapshot(users) == before


@pytest.mark.parametrize("n", [1, 30])
def test_a_search_takes_the_same_queries_whatever_the_data(
    content, people, django_assert_max_num_queries, n
):
    c = criterion(F3, "3.5")
    for i in range(n):
        user = people["alice"] if i == 0 else make_user(f"candidate{i}", CANDIDATE)
        Answer.objects.create(candidate=user, learning_outcome=c, text=f"Customer service {i}.")
        if i:
            Assignment.objects.create(candidate=user, assessor=people["carol"])
    for name in ["alice", "carol", "admin"]:
        user = get_user_model().objects.get(pk=people[name].pk)  # no roles remembered
        # The roles, the matches, the records shown (for an assessor, their candidates'
        # ids first); on PostgreSQL, for an admin, the answers' matches apart, between
        # two settings of the planner.
        with django_assert_max_num_queries({"admin": 5, "carol": 4}.get(name, 3)):
            results = search("customer service", user)
        assert results
    with django_assert_max_num_queries(2):
        assert search("customer service", AnonymousUser())
    with django_assert_max_num_queries(0):
        search("!!!", AnonymousUser())
