"""Read-only pages of the bank: units, criteria with their model answers, readings."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from ..access import (
    get_criterion,
    get_unit,
    is_assessor,
    is_candidate,
    manages_content,
)
from ..languages import pick_language
from ..models import Answer, ModelAnswer, Reading, Unit, Verification
from ..progress import attach_progress
from .common import language_to_show, model_answer_panel, remember_language

# The home page lists at most this many pieces of news of each kind.
HOME_LIST = 10


@require_safe
def home(request):
    units = Unit.objects.visible_to(request.user).with_criteria_count()
    if is_candidate(request.user):
        units = units.with_sign_off_to_confirm(request.user)
    units = list(units)
    # Of the units shown only: the whole catalogue's model answers cost 7 ms at scale 10.
    languages = ModelAnswer.objects.filter(
        learning_outcome__unit__in=[unit.pk for unit in units]
    ).languages_by_unit()
    for unit in units:
        unit.answer_languages = languages.get(unit.pk, [])
    show_progress = is_candidate(request.user)
    if show_progress:
        attach_progress(request.user, units)
    context = {
        "units": units,
        "readings": Reading.objects.all(),
        "show_progress": show_progress,
        "manages_content": manages_content(request.user),
    }
    if is_assessor(request.user):
        context["review_counts"] = Answer.objects.for_reviewer(request.user).status_counts()
        # Read only when the profile (loaded with the person) says there is some.
        if getattr(getattr(request.user, "profile", None), "unread_verifications", 0):
            context["verifier_feedback"] = list(
                Verification.objects.for_assessor(request.user)
                .unacknowledged()
                .select_related(
                    "verifier",
                    "decision__answer__candidate",
                    "decision__answer__learning_outcome__unit",
                )[:HOME_LIST]
            )
    if show_progress:
        context["to_confirm"] = [unit for unit in units if unit.to_confirm]
        context["returned"] = (
            Answer.objects.for_candidate(request.user)
            .filter(status=Answer.Status.NEEDS_REVISION, learning_outcome__unit__in=units)
            .select_related("learning_outcome__unit")
            .order_by("-updated_at")
        )
    return render(request, "units/home.html", context)


@require_safe
def unit_detail(request, unit):
    unit = get_unit(request.user, unit)
    criteria = unit.criteria.with_answer_languages()
    if is_candidate(request.user):
        criteria = criteria.with_status_of(request.user)
    criteria = list(criteria)
    for criterion in criteria:
        if hasattr(criterion, "my_status"):
            criterion.my_status = Answer.Status(criterion.my_status)
    introductions = list(unit.introductions.all())
    chosen = pick_language([intro.language for intro in introductions], language_to_show(request))
    context = {
        "unit": unit,
        "criteria": criteria,
        "with_model_answers": sum(1 for criterion in criteria if criterion.answer_languages),
        "publication_problems": [] if unit.is_published else unit.publication_problems(),
        "show_progress": is_candidate(request.user),
        "introduction": next((i for i in introductions if i.language == chosen), None),
        "other_introductions": [i for i in introductions if i.language != chosen],
        "readings": unit.readings.all(),
    }
    return render(request, "units/unit_detail.html", context)


@require_safe
def criterion_detail(request, unit, code):
    criterion = get_criterion(request.user, unit, code)
    context = {
        "unit": criterion.unit,
        "criterion": criterion,
        "can_write": is_candidate(request.user),
        **model_answer_panel(request, criterion, neighbours=True),
    }
    response = render(request, "units/criterion_detail.html", context)
    return remember_language(request, response)


@require_safe
def model_answer_fragment(request, unit, code):
    """Just the model answer panel, so the drafting page can switch language in place."""
    criterion = get_criterion(request.user, unit, code)
    response = HttpResponse(model_answer_panel(request, criterion)["model_answer_panel"])
    return remember_language(request, response)


@require_safe
def reading_detail(request, slug):
    reading = get_object_or_404(Reading, slug=slug)
    context = {"reading": reading, "reading_units": list(reading.units.visible_to(request.user))}
    return render(request, "units/reading_detail.html", context)
