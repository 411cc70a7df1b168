"""Helpers shared by the page modules: the reader's model-answer language."""

from ..languages import get_language, pick_language, sort_codes

# The reader's chosen model-answer language, kept for a year.
LANGUAGE_COOKIE = "answer_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60


def wanted_language(request) -> str | None:
    return request.GET.get("lang") or request.COOKIES.get(LANGUAGE_COOKIE)


def remember_language(request, response):
    requested = request.GET.get("lang")
    if get_language(requested):
        response.set_cookie(LANGUAGE_COOKIE, requested, max_age=LANGUAGE_COOKIE_AGE, samesite="Lax")
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
