from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..access import candidate_required
from ..forms import ConfirmUnitForm
from ..models import Answer, Unit, UnitSignOff
from ..progress import build_grid


@candidate_required
@require_safe
def progress(request):
    units = list(
        Unit.objects.visible_to(request.user).with_criteria_count().prefetch_related("criteria")
    )
    totals = build_grid(request.user, units)
    standing = {
        s.unit_id: s
        for s in UnitSignOff.objects.active()
        .filter(candidate=request.user, unit__in=units)
        .select_related("assessor", "countersigned_by")
    }
    for unit in units:
        unit.sign_off = standing.get(unit.pk)
    context = {
        "units": units,
        "totals": totals,
        "statuses": Answer.Status,
        "confirm_form": ConfirmUnitForm(),
    }
    return render(request, "units/progress.html", context)
