from django.shortcuts import render

from .models import Fortune


def fortunes(request):
    """TechEmpower's Fortunes: read the rows, add one, sort, render with escaping."""
    rows = list(Fortune.objects.all())
    rows.append(Fortune(id=0, message="Additional fortune added at request time."))
    rows.sort(key=lambda fortune: fortune.message)
    return render(request, "benchmark/fortunes.html", {"fortunes": rows})
