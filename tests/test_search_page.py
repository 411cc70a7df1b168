"""The search page as people use it: the box in the navigation, results grouped
and linked to where they live, access as everywhere, bad input answered kindly,
and a constant number of queries."""

import re

import pytest
from django.urls import reverse

from units import services
from units.models import LearningOutcome

pytestmark = pytest.mark.django_db

SEARCH = reverse("units:search")


def found(client, query, **headers) -> str:
    response = client.get(SEARCH, {"q": query}, **headers)
    assert response.status_code == 200
    return response.content.decode()


def result_links(page: str) -> list[str]:
    return re.findall(
        r'<li class="search-result[^>]*>\s*<p class="mb-1">.*?href="([^"]+)"', page, re.S
    )


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("timski rad", "/units/f3/criteria/3.5/?lang=sr-Cyrl"),
        ("тимски рад", "/units/f3/criteria/3.5/?lang=sr-Cyrl"),
        ("팀워크", "/units/f3/criteria/3.5/?lang=ko"),
        ("teamwork", "/units/f3/criteria/3.5/"),
        ("ügyfél", "/readings/five-principles-of-quality-service/"),
    ],
)
def test_each_result_links_to_where_it_lives(client, content, query, first):
    assert result_links(found(client, query))[0] == first


def test_the_navigation_has_a_search_box_on_every_page(client, db):
    page = client.get(reverse("units:home")).content.decode()
    assert f'action="{SEARCH}"' in page and 'type="search" name="q"' in page


def answer_of(person, code, text):
    criterion = LearningOutcome.objects.get(unit__code="F3", code=code)
    return services.draft_submit(
        candidate=person, criterion=criterion, text=text, base_version=0, declaration=True
    ).answer


def test_answers_are_found_only_by_those_who_may_open_them(client, people, content):
    alice_answer = answer_of(people["alice"], "3.5", "Our complaints procedure is written down.")
    answer_of(people["bob"], "3.6", "Bob describes a complaints procedure too.")

    client.force_login(people["alice"])
    page = found(client, "complaints procedure")
    write = reverse("units:write", args=["f3", "3.5"])
    assert write in result_links(page) and "Bob describes" not in page

    client.force_login(people["carol"])  # assesses Alice only
    page = found(client, "complaints procedure")
    assert reverse("units:review", args=[alice_answer.pk]) in result_links(page)
    assert "Bob describes" not in page

    client.force_login(people["dave"])  # assesses nobody here
    links = result_links(found(client, "complaints procedure"))
    assert not any("/review/" in link or "/write/" in link for link in links)

    client.logout()
    page = found(client, "complaints procedure")
    assert "Our complaints procedure" not in page and "Bob describes" not in page


@pytest.mark.parametrize(
    "query",
    [
        "",
        "x" * 1000,
        "!!! ??? …",
        "😀🎉",
        '" * ( ) : ^ NEAR AND OR NOT -',
        "'; DROP TABLE units_unit; --",
        "a\x00b",
        "тимски rad 팀워크 投诉 teamwork",
        "NEAR(",
        "*",
    ],
)
def test_bad_input_gets_a_page_never_an_error(client, people, content, query):
    client.force_login(people["carol"])
    page = found(client, query)
    assert "<html" in page


def test_nothing_found_suggests_what_to_try(client, content):
    page = found(client, "zzzqqqxxx")
    assert "Nothing found for “<bdi>zzzqqqxxx</bdi>”" in page
    assert "the English word" in page


def test_a_long_query_says_only_its_beginning_was_used(client, content):
    assert "only its beginning was used" in found(client, "teamwork " * 100)


def test_search_runs_a_constant_number_of_queries(
    client, people, content, django_assert_max_num_queries
):
    for n in range(3):
        answer_of(people["alice"], f"3.{n + 1}", f"Teamwork answer number {n}.")
    client.force_login(people["carol"])
    with django_assert_max_num_queries(8):
        found(client, "teamwork")


def test_results_speak_the_interface_language(client, content):
    page = found(client, "teamwork", HTTP_ACCEPT_LANGUAGE="ko")
    assert '<html lang="ko">' in page
    assert 'class="search-snippet mb-0" lang="sr-Cyrl"' in page  # each snippet in its own
