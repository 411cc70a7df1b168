from .access import is_assessor, is_candidate


def roles(request):
    """What the navigation needs to know about the signed-in user."""
    return {"is_candidate": is_candidate(request.user), "is_assessor": is_assessor(request.user)}
