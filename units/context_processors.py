from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from .access import is_assessor, is_candidate, is_internal_verifier, reads_portfolios
from .languages import INTERFACE_LANGUAGES


def roles(request):
    """What the navigation needs to know about the signed-in user.

    An error page can be drawn before the authentication middleware has run (a
    disallowed Host header is refused first): without a user, nobody is signed in.
    """
    user = getattr(request, "user", None) or AnonymousUser()
    return {
        "is_candidate": is_candidate(user),
        "is_assessor": is_assessor(user),
        "is_internal_verifier": is_internal_verifier(user),
        "reads_portfolios": reads_portfolios(user),
    }


def languages(request):
    """The interface language as a BCP 47 tag (for <html lang>) and the
    languages the switcher offers, each in its own name."""
    code = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "interface_language": INTERFACE_LANGUAGES.get(code)
        or INTERFACE_LANGUAGES[settings.LANGUAGE_CODE],
        "interface_languages": INTERFACE_LANGUAGES.values(),
    }
