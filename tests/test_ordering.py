import pytest

from units.models import LearningOutcome, Unit

pytestmark = pytest.mark.django_db


def test_criteria_sort_as_numbers_not_strings():
    unit = Unit.objects.create(code="X1", slug="x1", title="X")
    for code in ["3.10", "3.2", "10.1", "3.9", "3.1", "4.1"]:
        LearningOutcome.objects.create(unit=unit, code=code, outcome="LO", question="?")
    codes = list(unit.criteria.values_list("code", flat=True))
    assert codes == ["3.1", "3.2", "3.9", "3.10", "4.1", "10.1"]


def test_loaded_units_keep_numeric_order(content):
    f3 = Unit.objects.get(code="F3")
    assert list(f3.criteria.values_list("code", flat=True)) == [f"3.{n}" for n in range(1, 11)]


def test_neighbours_follow_numeric_order(content):
    criterion = LearningOutcome.objects.get(unit__code="F3", code="3.9")
    assert criterion.neighbour_codes() == ("3.8", "3.10")
    assert LearningOutcome.objects.get(unit__code="F3", code="3.1").neighbour_codes() == (
        None,
        "3.2",
    )
