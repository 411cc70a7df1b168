"""The search page: one box, results grouped by kind, each a link to where it lives."""

from dataclasses import dataclass

from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ..access import is_assessor
from ..forms import SearchForm
from ..languages import describe_language
from ..models import Answer, SearchEntry
from ..search import Hit, search

Kind = SearchEntry.Kind


@dataclass
class Result:
    """What the page shows of a hit: where it leads, its heading and the snippet."""

    url: str
    code: str  # the unit and criterion codes ("F3 3.5"), or ""
    title: str
    title_lang: str
    hit: Hit
    note: str = ""  # in the interface language (whose answer, which language)


def _criterion_url(criterion, **query) -> str:
    url = reverse("units:criterion", kwargs={"unit": criterion.unit.slug, "code": criterion.code})
    return f"{url}?{urlencode(query)}" if query else url


def result_for(hit: Hit, user) -> Result:
    record = hit.object
    if hit.kind == Kind.CRITERION:
        return Result(
            _criterion_url(record),
            f"{record.unit.code} {record.code}",
            record.question,
            "en",
            hit,
        )
    if hit.kind == Kind.MODEL_ANSWER:
        criterion = record.learning_outcome
        language = describe_language(record.language)
        return Result(
            _criterion_url(criterion, lang=record.language),
            f"{criterion.unit.code} {criterion.code}",
            record.question or criterion.question,
            record.language if record.question else "en",
            hit,
            _("Model answer in %(language)s") % {"language": language.label},
        )
    if hit.kind == Kind.READING:
        return Result(
            record.get_absolute_url(), "", record.title, record.language, hit, record.title_en
        )
    criterion = record.learning_outcome
    code = f"{criterion.unit.code} {criterion.code}"
    if record.candidate_id == user.pk:
        url = reverse("units:write", kwargs={"unit": criterion.unit.slug, "code": criterion.code})
        note = _("Your answer")
    elif record.status == Answer.Status.DRAFT:
        # Never submitted: not on the review page yet; an admin opens it in the admin.
        url = reverse("admin:units_answer_change", args=[record.pk]) if user.is_staff else ""
        name = record.candidate.get_full_name() or record.candidate.get_username()
        note = _("Draft by %(name)s") % {"name": name}
    else:
        url = reverse("units:review", kwargs={"pk": record.pk}) if is_assessor(user) else ""
        name = record.candidate.get_full_name() or record.candidate.get_username()
        note = _("Answer by %(name)s") % {"name": name}
    return Result(url, code, criterion.question, "en", hit, note)


def heading(kind: str, user) -> str:
    return {
        Kind.CRITERION: _("Assessment criteria"),
        Kind.MODEL_ANSWER: _("Model answers"),
        Kind.READING: _("Readings"),
        Kind.ANSWER: _("Answers") if is_assessor(user) else _("Your answers"),
    }[kind]


@require_safe
def search_page(request):
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = search(query, request.user) if query else None
    groups = [
        (
            heading(group.kind, request.user),
            group,
            [result_for(hit, request.user) for hit in group.hits],
        )
        for group in results or []
    ]
    context = {"form": form, "query": query, "results": results, "groups": groups}
    return render(request, "units/search.html", context)
