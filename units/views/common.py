"""Helpers shared by the page modules: refusals, throttling, the reader's
model-answer language."""

import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from django_ratelimit.core import is_ratelimited

from ..access import wants_json
from ..errors import DomainError, RateLimited, Unavailable
from ..languages import get_language, pick_language, sort_codes

logger = logging.getLogger(__name__)

# An anonymous reader's chosen model-answer language, kept for a year; a
# signed-in person's choice is stored on their profile instead.
LANGUAGE_COOKIE = "answer_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60

UNAVAILABLE = (
    "The server could not save just now. Your text is kept in this browser and will be "
    "saved when the server answers again."
)


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
        raise Unavailable(UNAVAILABLE) from exc


THROTTLE_MESSAGE = (
    "You are doing this faster than the app allows. Wait a minute and try again: "
    "nothing you wrote is lost."
)


def throttle(request, action: str) -> None:
    """Refuse when this person writes faster than RATE_LIMITS[action] allows
    (one or more "count/period" rates, each counted per person)."""
    for rate in settings.RATE_LIMITS[action].split(","):
        if is_ratelimited(
            request, group=f"{action}:{rate}", key="user_or_ip", rate=rate, increment=True
        ):
            period = rate.split("/")[1]
            retry_after = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(period[-1], 60)
            raise RateLimited(THROTTLE_MESSAGE, retry_after=retry_after)


def wanted_language(request) -> str | None:
    wanted = request.GET.get("lang")
    if wanted:
        return wanted
    profile = getattr(request.user, "profile", None) if request.user.is_authenticated else None
    if profile is not None and profile.answer_language:
        return profile.answer_language
    return request.COOKIES.get(LANGUAGE_COOKIE)


def remember_language(request, response):
    """Store a chosen model-answer language: on the person, or in a cookie for a
    reader who is not signed in (with the session cookie's flags)."""
    requested = request.GET.get("lang")
    if not get_language(requested):
        return response
    if request.user.is_authenticated:
        from ..models import Profile

        Profile.objects.update_or_create(user=request.user, defaults={"answer_language": requested})
    else:
        response.set_cookie(
            LANGUAGE_COOKIE,
            requested,
            max_age=LANGUAGE_COOKIE_AGE,
            samesite=settings.SESSION_COOKIE_SAMESITE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    return response


def model_answer_context(request, criterion) -> dict:
    """The model answer to show for a criterion and the languages to switch between."""
    answers = {answer.language: answer for answer in criterion.model_answers.all()}
    wanted = wanted_language(request)
    chosen = pick_language(list(answers), wanted)
    return {
        "model_answer": answers.get(chosen),
        "languages": sort_codes(answers),
        "missing_language": get_language(wanted) if wanted and wanted not in answers else None,
    }
