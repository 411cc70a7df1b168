from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from units.access import CriterionNotOpen, wants_json

CSRF_MESSAGE = gettext_lazy(
    "Your sign-in has changed or expired. Sign in again: your text is kept in this browser."
)


def csrf_failure(request, reason=""):
    """A refused CSRF check: a script gets a 403 it can act on, a person a plain page."""
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"error": "csrf", "message": str(CSRF_MESSAGE)}, status=403)
    return render(request, "403_csrf.html", status=403)


def _error_page(request, status, template, error, message):
    """An error answered as JSON to a script, as the app's own page to a person.

    Django's default handlers are wrapped in requires_csrf_token, which reads the
    form again: a body it could not read the first time (a form in UTF-16 or
    Latin-1) then fails inside the handler and the server answers a bare 500.
    These handlers read nothing from the request but its Accept header and path.
    """
    if wants_json(request):
        return JsonResponse({"error": error, "message": message}, status=status)
    return render(request, template, status=status)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        # Autosave shows this message: the text stays in the browser.
        limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return _error_page(
            request,
            400,
            "400.html",
            "too_large",
            # Translators: %(limit)s is a size, such as "2.5 MB".
            _(
                "This is more than the server accepts in one request (%(limit)s). "
                "Nothing was saved from this change; your text is kept in this browser."
            )
            % {"limit": limit},
        )
    return _error_page(
        request, 400, "400.html", "bad_request", _("That request could not be understood.")
    )


def permission_denied(request, exception=None):
    return _error_page(
        request, 403, "403.html", "forbidden", _("Your account does not have access to this.")
    )


def page_not_found(request, exception=None):
    if isinstance(exception, CriterionNotOpen):
        # Autosave shows this message, so a candidate whose unit closed knows why.
        return _error_page(request, 404, "404.html", "not_open", str(exception))
    return _error_page(request, 404, "404.html", "not_found", _("There is nothing here."))


def signed_in_again(request):
    return render(request, "registration/signed_in_again.html")
