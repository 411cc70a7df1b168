"""Choosing languages: the interface's (the switcher, a person's settings)
and the JavaScript catalogue that carries the interface's strings to scripts."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import JavaScriptCatalog

from ..forms import LanguagesForm
from ..languages import INTERFACE_LANGUAGES, interface_code
from ..models import Profile
from .common import remember_in_cookie


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("units:home")


def _remember_interface_language(request, response, code: str) -> None:
    """The browser keeps the choice in a cookie; a signed-in person's choice is
    stored on them too, so it follows them to any device."""
    remember_in_cookie(response, settings.LANGUAGE_COOKIE_NAME, code)
    if request.user.is_authenticated:
        Profile.objects.update_or_create(user=request.user, defaults={"interface_language": code})


@require_POST
def choose_interface_language(request):
    """The switcher in the navigation: any page, any person, signed in or not."""
    code = interface_code(request.POST.get("language"))
    response = HttpResponseRedirect(_safe_next(request))
    if code is None:
        messages.error(
            request,
            _("The app does not speak “%(language)s”. Choose one of the languages in the menu.")
            % {"language": request.POST.get("language", "")[:35]},
        )
        return response
    _remember_interface_language(request, response, code)
    return response


@login_required
def language_settings(request):
    """Both of a person's languages on one page: the interface's and the model answers'."""
    profile, _created = Profile.objects.get_or_create(user=request.user)
    form = LanguagesForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        code = form.cleaned_data["interface_language"] or settings.LANGUAGE_CODE
        response = HttpResponseRedirect(request.path)
        _remember_interface_language(request, response, code)
        with translation.override(code):
            messages.success(request, _("Your languages are saved."))
        return response
    return render(request, "units/languages.html", {"form": form})


# The catalogue changes only with a deployment: browsers may keep it a day.
@require_safe
@cache_control(public=True, max_age=24 * 60 * 60)
def javascript_catalogue(request, code):
    """The interface's strings for scripts, as a static-looking file per language
    (`/jsi18n/ko.js`): a script file, so the CSP needs no inline script."""
    if code not in INTERFACE_LANGUAGES:
        raise Http404
    with translation.override(code):
        return ScriptCatalogue.as_view()(request)


class ScriptCatalogue(JavaScriptCatalog):
    """Only the app's own script strings (not every installed app's)."""

    domain = "djangojs"
    packages = ["units"]

    def get_paths(self, packages):
        return [str(path) for path in settings.LOCALE_PATHS]
