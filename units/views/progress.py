from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..access import candidate_required
from ..models import Answer, Unit
from ..progress import build_grid


@candidate_required
@require_safe
def progress(request):
    units = list(
        Unit.objects.visible_to(request.user).with_criteria_count().prefetch_related("criteria")
    )
    totals = build_grid(request.user, units)
    context = {"units": units, "totals": totals, "statuses": Answer.Status}
    return render(request, "units/progress.html", context)
