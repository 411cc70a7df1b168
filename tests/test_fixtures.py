import json
import subprocess
import sys
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from units.markdown import render_markdown
from units.models import LearningOutcome, ModelAnswer, Reading, Unit, UnitIntroduction

from .conftest import FIXTURE_DIR, FIXTURE_FILES

pytestmark = pytest.mark.django_db

CONTENT_MODELS = [Unit, LearningOutcome, ModelAnswer, UnitIntroduction, Reading]


def counts():
    return {model.__name__: model.objects.count() for model in CONTENT_MODELS}


def write_fixture(tmp_path, objects, name="broken.json"):
    path = tmp_path / name
    path.write_text(json.dumps(objects, ensure_ascii=False), encoding="utf-8")
    return path


UNIT = {"model": "units.unit", "fields": {"code": "Z9", "slug": "z9", "title": "Zed"}}
CRITERION = {
    "model": "units.learningoutcome",
    "fields": {"unit": ["Z9"], "code": "1.1", "outcome": "LO1", "question": "Why?"},
}


def test_the_seed_content_is_all_there(content):
    assert counts() == {
        "Unit": 2,
        "LearningOutcome": 28,
        "ModelAnswer": 29,
        "UnitIntroduction": 3,
        "Reading": 2,
    }
    by_language = Counter(ModelAnswer.objects.values_list("language", flat=True))
    assert by_language == {"sr-Cyrl": 10, "ko": 10, "zh-Hans": 9}
    assert set(Reading.objects.values_list("language", flat=True)) == {"hr", "hu"}
    second = Unit.objects.get(ofqual_ref="A/601/2550")
    assert (second.level, second.credit) == (3, 3)
    assert second.qualification == "NVQ Certificate or Diploma in Business and Administration"
    # Every criterion the register shows, answered or not (7.4 on could not be read).
    assert list(second.criteria.values_list("code", flat=True)) == [
        "1.1", "2.1", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "4.3",
        "5.1", "5.2", "5.3", "6.1", "6.2", "6.3", "7.1", "7.2", "7.3",
    ]  # fmt: skip
    answered = second.criteria.filter(model_answers__isnull=False).distinct()
    assert list(answered.values_list("code", flat=True)) == [
        "4.1", "4.2", "4.3", "5.1", "5.2", "5.3", "6.1", "6.2", "6.3",
    ]  # fmt: skip
    assert second.criteria.get(code="4.1").outcome.startswith(
        "LO4 Understand the purpose of quality standards and timescales"
    )
    assert second.criteria.get(code="7.1").outcome == (
        "LO7 Be able to build positive working relationships with internal customers"
    )
    assert second.publication_problems() == []
    f3 = Unit.objects.get(code="F3")
    assert (f3.level, f3.credit) == (3, 6)
    assert "part 1 only" in f3.description


def test_every_answer_is_under_its_own_criterion_in_its_own_language(content):
    # Each criterion of F3 has exactly one Serbian and one Korean answer, and the
    # question in the answer's language carries the same criterion.
    for criterion in LearningOutcome.objects.filter(unit__code="F3"):
        assert sorted(criterion.model_answers.values_list("language", flat=True)) == [
            "ko",
            "sr-Cyrl",
        ]
    teamwork_ko = ModelAnswer.objects.get(
        learning_outcome__unit__code="F3", learning_outcome__code="3.5", language="ko"
    )
    assert "팀워크" in teamwork_ko.question
    feedback = ModelAnswer.objects.get(learning_outcome__code="6.2", language="zh-Hans")
    assert "收集和评估" in feedback.question
    assert "Our organisation has an" in feedback.body  # the English paragraph stays
    # … tagged as English, so it is not read as Chinese.
    assert '<span lang="en">Our organisation has an (______) day every year' in (
        render_markdown(feedback.body)
    )


def test_each_criterion_has_an_english_question(content):
    for criterion in LearningOutcome.objects.all():
        assert criterion.question.strip(), criterion
        assert criterion.question.isascii(), criterion
    assert (
        LearningOutcome.objects.get(unit__code="F3", code="3.5").question
        == "Why is effective teamwork important in providing excellent customer service?"
    )


def test_a_601_2550_is_worded_as_the_register_words_it(content):
    wording = dict(
        LearningOutcome.objects.filter(unit__code="A/601/2550").values_list("code", "question")
    )
    assert wording["4.1"] == "Identify quality standards for own organisation and work"
    assert wording["4.2"] == "Explain the value of agreeing quality standards and timescales"
    assert wording["5.2"] == "Explain ways of dealing with problems"
    assert wording["5.3"].endswith(", if applicable")
    assert wording["1.1"] == "Describe what is meant by internal customers"
    outcome_6 = LearningOutcome.objects.get(unit__code="A/601/2550", code="6.1").outcome
    assert outcome_6.endswith("and the benefits of this")


def test_page_furniture_is_left_out(content):
    bodies = "\n".join(ModelAnswer.objects.values_list("body", flat=True))
    for furniture in [
        "тхемана.гр",
        "themana.gr",
        "blog.taskrabbit.com",
        "Livingsta(作者)",
        "相关文章",
        "bas soma",
    ]:
        assert furniture not in bodies


def test_the_introductions_end_without_a_call_for_comments_or_a_missing_link(content):
    intros = dict(UnitIntroduction.objects.values_list("language", "body"))
    assert "коментар испод" not in intros["sr-Cyrl"]
    assert "의견을 남겨주세요" not in intros["ko"]
    assert "链接" not in intros["zh-Hans"]
    # Only the trailing sentences go: what comes before them is kept as written.
    assert intros["sr-Cyrl"].startswith("Као савет НВК кандидатима")
    assert intros["sr-Cyrl"].split("\n\n")[0].endswith("сасвим остваривим.")
    assert intros["ko"].split("\n\n")[0].endswith("달성 할 수있게합니다.")
    assert intros["zh-Hans"].split("\n\n")[0] == "本文旨在帮助候选人在NVQ业务和管理中追求其资格。"


def test_loading_twice_changes_nothing(content):
    before = counts()
    ids = sorted(ModelAnswer.objects.values_list("id", flat=True))
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    assert counts() == before
    assert sorted(ModelAnswer.objects.values_list("id", flat=True)) == ids


def test_loading_another_unit_leaves_the_first_alone(db):
    call_command("loaddata", FIXTURE_DIR / "unit-f3.json", verbosity=0)
    f3_answers = dict(ModelAnswer.objects.values_list("id", "body"))
    call_command("loaddata", FIXTURE_DIR / "unit-a-601-2550.json", verbosity=0)
    assert Unit.objects.count() == 2
    assert {
        pk: body for pk, body in ModelAnswer.objects.values_list("id", "body") if pk in f3_answers
    } == f3_answers


def test_fixture_pointing_at_a_missing_unit_is_refused_whole(db, tmp_path):
    # The unit is fine on its own, but the criterion names a unit that is not there.
    orphan = {**CRITERION, "fields": {**CRITERION["fields"], "unit": ["NOPE"]}}
    path = write_fixture(tmp_path, [UNIT, CRITERION, orphan])
    with pytest.raises(Exception, match=r"broken\.json.*LearningOutcome has no unit"):
        call_command("loaddata", path, verbosity=0)
    assert counts() == dict.fromkeys(counts(), 0)


def test_readings_without_their_units_are_refused(db):
    with pytest.raises(Exception, match="does not exist"):
        call_command("loaddata", FIXTURE_DIR / "readings.json", verbosity=0)
    assert Reading.objects.count() == 0


def test_malformed_fixture_is_refused_whole(db, tmp_path):
    path = tmp_path / "truncated.json"
    path.write_text(json.dumps([UNIT, CRITERION])[:-20], encoding="utf-8")
    with pytest.raises(Exception, match="truncated"):
        call_command("loaddata", path, verbosity=0)
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_second_answer_in_the_same_language_is_refused_whole(db, tmp_path):
    answer = {
        "model": "units.modelanswer",
        "fields": {"learning_outcome": ["Z9", "1.1"], "language": "ko", "body": "하나"},
    }
    # Without natural keys the second object is a new row, which the constraint refuses.
    path = write_fixture(tmp_path, [UNIT, CRITERION, answer, {**answer, "pk": 999}])
    with pytest.raises(Exception, match="(?i)unique"):
        call_command("loaddata", path, verbosity=0)
    assert counts() == dict.fromkeys(counts(), 0)


def test_check_fixtures_passes_on_every_committed_fixture(db, capsys):
    call_command("check_fixtures")
    assert "no problems" in capsys.readouterr().out
    assert sorted(FIXTURE_DIR.glob("*.json")) == sorted(FIXTURE_FILES)
    assert counts() == dict.fromkeys(counts(), 0)  # nothing kept


def test_check_fixtures_names_the_file_and_the_bad_object(db, tmp_path, capsys):
    bad_code = {**CRITERION, "fields": {**CRITERION["fields"], "code": "three"}}
    bad_language = {
        "model": "units.modelanswer",
        "fields": {"learning_outcome": ["Z9", "1.1"], "language": "klingon", "body": "x"},
    }
    path = write_fixture(tmp_path, [UNIT, CRITERION, bad_language, bad_code])
    with pytest.raises(CommandError, match=r"^2 problems found in 1 fixture file\.$"):
        call_command("check_fixtures", str(path))
    err = capsys.readouterr().err
    assert (
        f"{path}: model answer Z9 1.1 klingon, field “language”: “klingon” is not a language "
        "the app lists. Use one of: en, sr-Cyrl," in err
    )
    assert (
        f"{path}: assessment criterion Z9 three, field “code”: A criterion code is two numbers "
        "with a dot, such as 3.10. Correct it in the file." in err
    )


def test_check_fixtures_reports_a_missing_reference(db, tmp_path, capsys):
    path = write_fixture(tmp_path, [{**CRITERION, "fields": {**CRITERION["fields"]}}])
    with pytest.raises(CommandError):
        call_command("check_fixtures", str(path))
    err = capsys.readouterr().err
    assert f"{path}: assessment criterion Z9 1.1: Its unit Z9 is neither in the uploaded" in err


def test_check_fixtures_reports_unreadable_json(db, tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("check_fixtures", str(path))
    assert f"{path}: The file is not valid JSON: at line 1, column 3" in capsys.readouterr().err


SEEDS = settings.BASE_DIR.parent / "shared" / "seeds"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed texts (../shared/seeds) are not here")
def test_fixtures_are_built_from_the_seeds():
    script = settings.BASE_DIR / "tools" / "build_fixtures.py"
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(script), "--check", "--seeds", str(SEEDS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed texts (../shared/seeds) are not here")
def test_trailing_furniture_must_be_whole_sentences(tmp_path):
    # If the text before the comment request no longer ends a sentence, cutting it off
    # would leave half a sentence: the build stops and names the seed instead.
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for seed in SEEDS.glob("*.txt"):
        (seeds / seed.name).write_bytes(seed.read_bytes())
    serbian = seeds / "000_14d2caf87c1030a7.txt"
    text = serbian.read_text(encoding="utf-8")
    assert "остваривим. Трудио сам се" in text
    serbian.write_text(text.replace("остваривим. Трудио", "остваривим и Трудио"), "utf-8")
    script = settings.BASE_DIR / "tools" / "build_fixtures.py"
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(script), "--check", "--seeds", str(seeds)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "000_14d2caf87c1030a7.txt" in result.stderr
    assert "not whole sentences" in result.stderr
