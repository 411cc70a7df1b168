"""The selects drawn in Python give the HTML Django's templates would."""

import pytest
from django import forms
from django.test.html import parse_html

from units.forms import QueueFilterForm, Select, TaggedSelect
from units.models import Unit

pytestmark = pytest.mark.django_db


def template_drawn(widget: forms.Select, name, value) -> str:
    """The same widget as Django's own template renderer draws it."""
    return forms.Select.render(widget, name, value)


@pytest.mark.parametrize("value", ["", "b", None])
def test_a_plain_select_matches_djangos_template(value):
    widget = Select(
        attrs={"class": "form-select"},
        choices=[("", "All"), ("a", "Waiting <for> review"), ("b", "Returned & done")],
    )
    assert parse_html(widget.render("status", value)) == parse_html(
        template_drawn(widget, "status", value)
    )


def test_grouped_choices_and_tagged_options_match_djangos_template():
    widget = TaggedSelect(lambda value: {"lang": "en", "translate": "no"}, attrs={"id": "x"})
    widget.choices = [("Serbian", [("sr-Cyrl", "Српски"), ("sr-Latn", "Srpski")]), ("ko", "한국어")]
    drawn = widget.render("language", "sr-Latn")
    assert parse_html(drawn) == parse_html(template_drawn(widget, "language", "sr-Latn"))
    assert '<optgroup label="Serbian">' in drawn
    assert '<option value="sr-Latn" selected lang="en" translate="no">Srpski<' in drawn


def test_the_queue_filter_draws_its_units_and_people(people):
    from tests.conftest import make_unit

    make_unit("U1", title="Customer <service>")
    form = QueueFilterForm(
        {"unit": str(Unit.objects.get().pk)},
        units=Unit.objects.all(),
        candidates=type(people["alice"]).objects.filter(pk=people["alice"].pk),
    )
    for field in ("status", "unit", "candidate"):
        bound = form[field]
        attrs = {"id": bound.auto_id}
        args = (bound.html_name, bound.value(), attrs)
        assert str(bound) == bound.field.widget.render(*args)
        assert parse_html(str(bound)) == parse_html(
            forms.Select.render(bound.field.widget, *args)
        ), field
    assert "Customer &lt;service&gt;" in str(form["unit"])
