"""The pages not covered beside their features: the same number of queries with 1
item as with 50."""

import pytest
from django.urls import reverse

from units import services
from units.models import Answer

from .conftest import make_unit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("n", [1, 50])
def test_revisions_page(client, people, django_assert_max_num_queries, n):
    criterion = make_unit("V1", criteria=1).criteria.get()
    answer = None
    for i in range(n):
        version = answer.version if answer else 0
        answer = services.draft_submit(
            candidate=people["alice"], criterion=criterion, text=f"Version {i}.",
            base_version=version, declaration=True,
        ).answer  # fmt: skip
        if i < n - 1:
            services.comment_add(answer=answer, author=people["carol"], body="Again.")
            answer = services.answer_return(answer=answer, assessor=people["carol"])
    client.force_login(people["alice"])
    page = reverse("units:revisions", kwargs={"pk": answer.pk}) + f"?a=1&b={n}"
    with django_assert_max_num_queries(8):
        assert client.get(page).status_code == 200
    assert Answer.objects.get().revisions.count() == n


@pytest.mark.parametrize("n", [1, 50])
def test_model_answer_fragment(client, django_assert_max_num_queries, n):
    make_unit("F1", criteria=n, languages=("ko", "sr-Cyrl", "zh-Hans", "hr", "hu"))
    with django_assert_max_num_queries(2):
        response = client.get(
            reverse("units:model_answer", kwargs={"unit": "f1", "code": "1.1"}) + "?lang=hu"
        )
    assert response.status_code == 200


@pytest.mark.parametrize("n", [1, 50])
def test_sign_in_and_account_pages(client, people, django_assert_max_num_queries, n):
    make_unit("A1", criteria=n)
    for name in ["login", "password_reset"]:
        with django_assert_max_num_queries(0):
            assert client.get(reverse(name)).status_code == 200
    client.force_login(people["alice"])
    for name in ["password_change", "signed_in_again"]:
        with django_assert_max_num_queries(4):
            assert client.get(reverse(name)).status_code == 200
