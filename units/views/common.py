"""Helpers shared by the page modules: refusals, throttling, the reader's
model-answer language."""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from ..access import wants_json
from ..errors import DomainError, RateLimited, Unavailable
from ..languages import INTERFACE_LANGUAGES, LANGUAGES, canonical_tag, pick_language, sort_codes

logger = logging.getLogger(__name__)

# An anonymous reader's chosen model-answer language; a
# signed-in person's choice is stored on their profile instead.
LANGUAGE_COOKIE = "answer_language"
# A choice kept in a browser (model-answer or interface language) lasts a year.
CHOICE_COOKIE_AGE = 365 * 24 * 60 * 60
# How long a drawn model-answer panel is kept. Its key changes with the content, so
# this bounds only the memory of panels no longer asked for.
PANEL_SECONDS = 6 * 60 * 60


def refusal(request, exc: DomainError, page):
    """The one answer to a refused action: JSON a script can act on, or, for a
    person, `page(exc)` — the same page again, showing the message."""
    if wants_json(request):
        response = JsonResponse(exc.as_json(), status=exc.status)
        if "retry_after" in exc.details:
            response["Retry-After"] = str(exc.details["retry_after"])
        return response
    return page(exc)


def attempt(service, **kwargs):
    """Call a service; a database that refuses the write (locked, down, full) is
    an Unavailable refusal, so the page keeps the text and tries again."""
    try:
        return service(**kwargs)
    except DatabaseError as exc:
        logger.exception("%s failed in the database", service.__name__)
        raise Unavailable(
            _(
                "The server could not save just now. Your text is kept in this browser and "
                "will be saved when the server answers again."
            )
        ) from exc


def throttle(request, action: str) -> None:
    """Refuse when this person writes faster than RATE_LIMITS[action] allows
    (one or more "count/period" rates, each counted per person)."""
    for rate in settings.RATE_LIMITS[action].split(","):
        if is_ratelimited(
            request, group=f"{action}:{rate}", key="user_or_ip", rate=rate, increment=True
        ):
            period = rate.split("/")[1]
            retry_after = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(period[-1], 60)
            raise RateLimited(
                _(
                    "You are doing this faster than the app allows. Wait a minute and try "
                    "again: nothing you wrote is lost."
                ),
                retry_after=retry_after,
            )


def requested_language(request) -> tuple[str | None, str | None]:
    """The model-answer language asked for in `?lang=` (any case: "SR-latn" is
    sr-Latn), and the raw value when it names no language the bank holds."""
    raw = request.GET.get("lang", "").strip()[:35]
    if not raw:
        return None, None
    tag = canonical_tag(raw)
    return (tag, None) if tag else (None, raw)


def wanted_language(request) -> str | None:
    """The model-answer language to show first: asked for in the address, else
    the person's stored choice (or this browser's), else the one that goes with
    the interface language."""
    asked, _unknown = requested_language(request)
    if asked:
        return asked
    profile = getattr(request.user, "profile", None) if request.user.is_authenticated else None
    if profile is not None and profile.answer_language:
        return profile.answer_language
    return canonical_tag(request.COOKIES.get(LANGUAGE_COOKIE))


def language_to_show(request) -> str | None:
    """The wanted model-answer language, or, when none was ever chosen, the
    one that goes with the interface language."""
    interface = INTERFACE_LANGUAGES.get(get_language() or "")
    return wanted_language(request) or (interface.content_language if interface else None)


def remember_language(request, response):
    """Store a chosen model-answer language: on the person, or in a cookie for a
    reader who is not signed in (with the session cookie's flags)."""
    requested, _unknown = requested_language(request)
    if not requested:
        return response
    if request.user.is_authenticated:
        from ..models import Profile

        Profile.objects.update_or_create(user=request.user, defaults={"answer_language": requested})
    else:
        remember_in_cookie(response, LANGUAGE_COOKIE, requested)
    return response


def remember_in_cookie(response, name: str, value: str) -> None:
    """A reader's choice kept in this browser for a year, with the session cookie's flags."""
    response.set_cookie(
        name,
        value,
        max_age=CHOICE_COOKIE_AGE,
        samesite=settings.SESSION_COOKIE_SAMESITE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )


def model_answer_context(request, criterion) -> dict:
    """The model answer to show for a criterion and the languages to switch between."""
    answers = {answer.language: answer for answer in criterion.model_answers.all()}
    wanted = wanted_language(request)
    chosen = pick_language(list(answers), wanted or language_to_show(request))
    model_answer = answers.get(chosen)
    return {
        "model_answer": model_answer,
        # Shown under the English question; not when the seed's wording is the English one.
        "question_translation": model_answer.question
        if model_answer and model_answer.question != criterion.question
        else "",
        "languages": sort_codes(answers),
        "missing_language": LANGUAGES.get(wanted) if wanted and wanted not in answers else None,
        "unknown_language": requested_language(request)[1],
    }


def model_answer_panel(request, criterion, *, neighbours: bool = False) -> dict:
    """The model-answer panel and the question's translation as HTML, drawn once and
    kept for every reader who would see the same: by criterion, its unit's content
    version (moved on by any edit of the unit, its criteria or model answers), the
    interface language, and the reader's choice of model-answer language.

    The criterion, drafting and review pages and the language switch show it. A
    reload costs one cache read instead of the model answers' query, the panel's
    templates and, with neighbours, the query for the codes before and after the
    criterion (which the criterion page links to)."""
    _asked, unknown = requested_language(request)
    parts = [
        criterion.pk,
        criterion.unit.content_version,
        get_language(),
        wanted_language(request),
        language_to_show(request),
        unknown,
    ]
    key = "panel:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    drawn = cache.get(key)
    if drawn is None:
        context = {"unit": criterion.unit, "criterion": criterion}
        context.update(model_answer_context(request, criterion))
        drawn = {
            "panel": render_to_string("units/_model_answer.html", context),
            "question": render_to_string("units/_question_translation.html", context),
        }
        cache.set(key, drawn, PANEL_SECONDS)
    if neighbours and "neighbours" not in drawn:
        # Kept in the same entry, so the criterion page reads one entry, not two.
        drawn["neighbours"] = criterion.neighbour_codes()
        cache.set(key, drawn, PANEL_SECONDS)
    # Drawn by our own templates, from Markdown rendered by units.markdown (sanitised).
    return {
        "model_answer_panel": mark_safe(drawn["panel"]),  # noqa: S308
        "question_translation_panel": mark_safe(drawn["question"]),  # noqa: S308
        **(
            {"previous_code": drawn["neighbours"][0], "next_code": drawn["neighbours"][1]}
            if neighbours
            else {}
        ),
    }
