from django.http import JsonResponse
from django.shortcuts import render

CSRF_MESSAGE = (
    "Your sign-in has changed or expired. Sign in again: your text is kept in this browser."
)


def csrf_failure(request, reason=""):
    """A refused CSRF check: a script gets a 403 it can act on, a person a plain page."""
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"error": "csrf", "message": CSRF_MESSAGE}, status=403)
    return render(request, "403_csrf.html", status=403)


def signed_in_again(request):
    return render(request, "registration/signed_in_again.html")
