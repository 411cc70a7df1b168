"""Read-only pages of the bank: units, criteria with their model answers, readings."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from ..languages import get_language, pick_language, sort_codes
from ..models import LearningOutcome, ModelAnswer, Reading, Unit

# The reader's chosen model-answer language, kept for a year.
LANGUAGE_COOKIE = "answer_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60


def _wanted_language(request) -> str | None:
    return request.GET.get("lang") or request.COOKIES.get(LANGUAGE_COOKIE)


def _remember_language(request, response):
    requested = request.GET.get("lang")
    if get_language(requested):
        response.set_cookie(LANGUAGE_COOKIE, requested, max_age=LANGUAGE_COOKIE_AGE, samesite="Lax")
    return response


@require_safe
def home(request):
    units = list(Unit.objects.with_criteria_count())
    languages = ModelAnswer.objects.languages_by_unit()
    for unit in units:
        unit.answer_languages = languages.get(unit.pk, [])
    readings = Reading.objects.all()
    return render(request, "units/home.html", {"units": units, "readings": readings})


@require_safe
def unit_detail(request, unit):
    unit = get_object_or_404(Unit, slug=unit)
    criteria = unit.criteria.with_answer_languages()
    introductions = list(unit.introductions.all())
    chosen = pick_language([intro.language for intro in introductions], _wanted_language(request))
    context = {
        "unit": unit,
        "criteria": criteria,
        "introduction": next((i for i in introductions if i.language == chosen), None),
        "other_introductions": [i for i in introductions if i.language != chosen],
        "readings": unit.readings.all(),
    }
    return render(request, "units/unit_detail.html", context)


@require_safe
def criterion_detail(request, unit, code):
    criterion = get_object_or_404(
        LearningOutcome.objects.select_related("unit"), unit__slug=unit, code=code
    )
    answers = {answer.language: answer for answer in criterion.model_answers.all()}
    wanted = _wanted_language(request)
    chosen = pick_language(list(answers), wanted)
    previous_code, next_code = criterion.neighbour_codes()
    context = {
        "unit": criterion.unit,
        "criterion": criterion,
        "answer": answers.get(chosen),
        "languages": sort_codes(answers),
        "missing_language": get_language(wanted) if wanted and wanted not in answers else None,
        "previous_code": previous_code,
        "next_code": next_code,
    }
    response = render(request, "units/criterion_detail.html", context)
    return _remember_language(request, response)


@require_safe
def reading_detail(request, slug):
    reading = get_object_or_404(Reading.objects.prefetch_related("units"), slug=slug)
    return render(request, "units/reading_detail.html", {"reading": reading})
