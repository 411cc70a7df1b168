from django.contrib.auth.models import AnonymousUser

from .access import is_assessor, is_candidate


def roles(request):
    """What the navigation needs to know about the signed-in user.

    An error page can be drawn before the authentication middleware has run (a
    disallowed Host header is refused first): without a user, nobody is signed in.
    """
    user = getattr(request, "user", None) or AnonymousUser()
    return {"is_candidate": is_candidate(user), "is_assessor": is_assessor(user)}
