import re

import pytest
from django.urls import reverse

from units.models import LearningOutcome, ModelAnswer, Reading, Unit

from .conftest import make_unit
from .html_safety import unsafe_markup

pytestmark = pytest.mark.django_db


def criterion_url(unit_slug, code, **params):
    url = reverse("units:criterion", kwargs={"unit": unit_slug, "code": code})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_home_lists_units_with_counts_and_languages(client, content):
    html = client.get("/").content.decode()
    assert "Demonstrate understanding of customer service" in html
    assert "Deliver, monitor and evaluate customer service to internal customers" in html
    assert "10 criteria" in html and "18 criteria" in html
    for name, code in [("Српски", "sr-Cyrl"), ("한국어", "ko"), ("中文", "zh-Hans")]:
        assert f'<span lang="{code}" dir="ltr">{name}</span>' in html


def test_unit_page_groups_criteria_under_outcomes_in_numeric_order(client, content):
    html = client.get(reverse("units:unit", kwargs={"unit": "a-601-2550"})).content.decode()
    assert html.index("LO4 Understand") < html.index("LO5 Understand") < html.index("LO6")
    codes = re.findall(r'<span class="criterion-code">([\d.]+)</span>', html)
    assert codes == [
        "1.1", "2.1", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "4.3",
        "5.1", "5.2", "5.3", "6.1", "6.2", "6.3", "7.1", "7.2", "7.3",
    ]  # fmt: skip
    for reading in Reading.objects.all():
        assert reading.get_absolute_url() in html


def test_f3_unit_page_puts_3_10_after_3_9(client, content):
    html = client.get(reverse("units:unit", kwargs={"unit": "f3"})).content.decode()
    codes = re.findall(r'<span class="criterion-code">([\d.]+)</span>', html)
    assert codes == [f"3.{n}" for n in range(1, 11)]


@pytest.mark.parametrize(
    ("unit", "code", "language", "sample"),
    [
        ("f3", "3.5", "sr-Cyrl", "тимски"),
        ("f3", "3.5", "ko", "팀워크"),
        ("a-601-2550", "6.2", "zh-Hans", "反馈"),
    ],
)
def test_criterion_page_shows_the_model_answer_in_each_seed_language(
    client, content, unit, code, language, sample
):
    response = client.get(criterion_url(unit, code, lang=language))
    html = response.content.decode()
    assert response.status_code == 200
    criterion = LearningOutcome.objects.get(unit__slug=unit, code=code)
    assert criterion.question in html
    article = re.search(
        r'<article class="card model-answer" lang="([^"]+)"[^>]*>(.*?)</article>', html, re.S
    )
    assert article.group(1) == language
    # The sample is in the answer, or in the question's translation under the English one.
    translation = re.search(
        r'<p id="question-translation" class="question-translation" lang="([^"]+)"[^>]*>(.*?)</p>',
        html,
        re.S,
    )
    assert sample in article.group(2) or (
        translation.group(1) == language and sample in translation.group(2)
    )
    assert response.cookies["answer_language"].value == language


def test_language_switcher_names_each_language_in_itself(client, content):
    html = client.get(criterion_url("f3", "3.1")).content.decode()
    assert 'hreflang="sr-Cyrl"' in html and 'hreflang="ko"' in html
    assert '<span lang="sr-Cyrl" dir="ltr">Српски</span>' in html
    assert '<span lang="ko" dir="ltr">한국어</span>' in html


def test_chosen_language_is_remembered(client, content):
    client.get(criterion_url("f3", "3.1", lang="ko"))
    html = client.get(criterion_url("f3", "3.2")).content.decode()
    assert '<article class="card model-answer" lang="ko"' in html


def test_missing_language_says_so_and_falls_back(client, content):
    html = client.get(criterion_url("a-601-2550", "4.1", lang="ko")).content.decode()
    assert "no model answer in Korean" in html
    assert '<article class="card model-answer" lang="zh-Hans"' in html


def test_unknown_language_is_ignored_and_not_remembered(client, content):
    response = client.get(criterion_url("f3", "3.1", lang="<script>"))
    assert response.status_code == 200
    assert "answer_language" not in response.cookies
    assert "<script>" not in response.content.decode().split("</nav>", 1)[1]


def test_reading_page_carries_its_language(client, content):
    reading = Reading.objects.get(language="hr")
    html = client.get(reading.get_absolute_url()).content.decode()
    assert '<article lang="hr"' in html
    assert reading.title in html
    assert "F3" in html


@pytest.mark.parametrize(
    "url",
    [
        "/units/nope/",
        "/units/f3/criteria/9.9/",
        "/units/nope/criteria/3.1/",
        "/readings/nope/",
        "/units/f3/criteria/3.1.1/",
    ],
)
def test_unknown_things_answer_404(client, content, url):
    assert client.get(url).status_code == 404


def test_catalogue_pages_refuse_post(client, content):
    assert client.post("/").status_code == 405


def test_model_answer_markdown_is_sanitised_on_the_page(client, db):
    unit = make_unit("H1", criteria=1)
    ModelAnswer.objects.filter(learning_outcome__unit=unit).update(
        body='<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror="alert(1)">'
    )
    html = client.get(criterion_url("h1", "1.1")).content.decode()
    article = html.split('<article class="card model-answer"', 1)[1].split("</article>")[0]
    body = article.split('<div class="markdown">', 1)[1].split("</div>", 1)[0]
    assert unsafe_markup(body) == []
    assert "&lt;script&gt;" in article  # shown as the text it is


def build(n):
    """n units, each with n criteria, each with answers in three languages."""
    units = [
        make_unit(f"Q{i}", criteria=n, languages=("ko", "sr-Cyrl", "zh-Hans")) for i in range(n)
    ]
    reading = Reading.objects.create(slug="r", language="hr", title="Čitanje", body="Tekst")
    reading.units.set(units)
    return units[0]


@pytest.mark.parametrize("n", [1, 50])
def test_home_query_count_is_constant(client, django_assert_max_num_queries, n):
    build(n)
    with django_assert_max_num_queries(3):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("n", [1, 50])
def test_unit_page_query_count_is_constant(client, django_assert_max_num_queries, n):
    unit = build(n)
    with django_assert_max_num_queries(5):
        assert client.get(unit.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("n", [1, 50])
def test_criterion_page_query_count_is_constant(client, django_assert_max_num_queries, n):
    unit = build(n)
    with django_assert_max_num_queries(3):
        assert client.get(criterion_url(unit.slug, "1.1", lang="ko")).status_code == 200


@pytest.mark.parametrize("n", [1, 50])
def test_reading_page_query_count_is_constant(client, django_assert_max_num_queries, n):
    build(n)
    with django_assert_max_num_queries(2):
        assert client.get("/readings/r/").status_code == 200


def test_admin_lists_render_for_staff(admin_client, content):
    for model in ["unit", "learningoutcome", "modelanswer", "reading", "unitintroduction"]:
        response = admin_client.get(reverse(f"admin:units_{model}_changelist"))
        assert response.status_code == 200, model
    f3 = Unit.objects.get(code="F3")
    html = admin_client.get(reverse("admin:units_unit_change", args=[f3.pk])).content.decode()
    assert "3.10" in html  # criteria inline under the unit
    criterion = LearningOutcome.objects.get(unit=f3, code="3.5")
    html = admin_client.get(
        reverse("admin:units_learningoutcome_change", args=[criterion.pk])
    ).content.decode()
    assert "팀워크" in html  # answers inline under the criterion
