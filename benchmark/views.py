from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import Fortune


def _fortunes(request, **extra):
    rows = list(Fortune.objects.all())
    rows.append(Fortune(id=0, message="Additional fortune added at request time."))
    rows.sort(key=lambda fortune: fortune.message)
    return render(request, "benchmark/fortunes.html", {"fortunes": rows, **extra})


def fortunes(request):
    """TechEmpower's Fortunes: read the rows, add one, sort, render with escaping."""
    return _fortunes(request)


@login_required
def fortunes_signed_in(request):
    """The same for a signed-in person, named on the page: what every page of the app
    pays before it does anything of its own (the session, the person, their
    profile, and the middleware that acts on them)."""
    return _fortunes(request, reader=request.user.get_full_name())
