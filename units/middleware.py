import time

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .languages import (
    from_accept_language,
    interface_code,
    interface_tag,
    stored_interface_language,
)

# Refresh the session's expiry at most this often: the idle timeout slides, but
# not every request (an autosave every few seconds) writes the session table.
REFRESH_EVERY_SECONDS = 60


class SessionIdleTimeoutMiddleware:
    """Sign people out after SESSION_IDLE_MINUTES without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated and not session.is_empty():
            now = int(time.time())
            if now - session.get("_touched", 0) > REFRESH_EVERY_SECONDS:
                session["_touched"] = now  # marks the session modified: saved, expiry renewed
        return response


def chosen_interface_language(request) -> str:
    """The interface language for this request: the signed-in person's stored
    choice (it follows them to any device), else this browser's choice (the
    cookie the switcher sets), else the browser's Accept-Language, else English."""
    return (
        stored_interface_language(getattr(request, "user", None))  # anonymous: no profile
        or interface_code(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        or from_accept_language(request.headers.get("Accept-Language", ""))
        or settings.LANGUAGE_CODE
    )


class InterfaceLanguageMiddleware:
    """Speak the reader's language (Django's LocaleMiddleware, with the person's
    stored choice first and script subtags such as sr-Latn honoured)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = chosen_interface_language(request)
        translation.activate(code)
        request.LANGUAGE_CODE = code
        try:
            response = self.get_response(request)
        finally:
            # A request that fails before this middleware (a bad Host) is answered
            # in the default language, never in the previous request's.
            translation.deactivate()
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", interface_tag(code))
        return response
