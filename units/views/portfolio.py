"""Candidates' portfolios, read-only, for their assessors, internal verifiers, admins
and (for a time, what they are granted) external verifiers; unit sign-off."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .. import signoff
from ..access import (
    assessor_required,
    candidate_required,
    get_portfolio_candidate,
    get_portfolio_enrolment,
    get_portfolio_unit,
    get_unit,
    is_assessor,
    is_external_verifier,
    is_internal_verifier,
    portfolio_candidates,
    portfolio_reader_required,
    portfolio_units,
    verifier_required,
)
from ..access_log import log_view
from ..errors import DomainError
from ..forms import ConfirmUnitForm, ExportForm, PortfolioSearchForm, validated
from ..models import Enrolment, PortfolioGrant, UnitSignOff
from ..models.work import candidate_ids
from ..portfolio import unit_records
from ..progress import build_grid
from ..security import client_ip
from .common import attempt, refusal, throttle

PAGE_SIZE = 25
# The list of units ready to sign off shows at most this many.
READY_LISTED = 20


@portfolio_reader_required
@require_safe
def portfolios(request):
    form = PortfolioSearchForm(request.GET or None)
    people = portfolio_candidates(request.user)
    if form.is_valid() and form.cleaned_data["q"]:
        words = form.cleaned_data["q"].split()[:4]
        for word in words:
            people = people.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(username__icontains=word)
            )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    # Counted for the page's people only: counting for every candidate of a large
    # centre would cost more than the rest of the page.
    counts = (
        get_user_model()
        .objects.filter(pk__in=[person.pk for person in page])
        .annotate(
            units_enrolled=Count(
                "enrolments",
                filter=Q(enrolments__unit__published_at__isnull=False),
                distinct=True,
            ),
            units_complete=Count(
                "unit_sign_offs",
                filter=Q(
                    unit_sign_offs__withdrawn_at=None, unit_sign_offs__confirmed_at__isnull=False
                ),
                distinct=True,
            ),
        )
        .values_list("pk", "units_enrolled", "units_complete")
    )
    by_person = {pk: (enrolled, complete) for pk, enrolled, complete in counts}
    for person in page:
        person.units_enrolled, person.units_complete = by_person.get(person.pk, (0, 0))
    grants = []
    if is_external_verifier(request.user):
        grants = (
            PortfolioGrant.objects.active()
            .filter(verifier=request.user)
            .select_related("candidate", "unit")
            .order_by("expires_at")
        )
    ready = []
    if is_assessor(request.user) and not request.user.is_superuser:
        # An assessor's own candidates (an admin's would be the whole centre's).
        ready = list(
            Enrolment.objects.ready_to_sign_off().filter(
                candidate_id__in=candidate_ids(request.user)
            )[:READY_LISTED]
        )
    context = {"form": form, "page": page, "grants": grants, "ready": ready}
    return render(request, "portfolio/list.html", context)


@portfolio_reader_required
@require_safe
def portfolio(request, pk):
    candidate = get_portfolio_candidate(request.user, pk)
    units = list(
        portfolio_units(request.user, candidate)
        .with_criteria_count()
        .prefetch_related("criteria")
        .order_by("code")
    )
    totals = build_grid(candidate, units, submitted_only=True)
    standing = {
        s.unit_id: s
        for s in UnitSignOff.objects.active()
        .filter(candidate=candidate, unit__in=units)
        .select_related("assessor", "countersigned_by")
    }
    for unit in units:
        unit.sign_off = standing.get(unit.pk)
    log_view(request, person=candidate)
    context = {
        "candidate": candidate,
        "units": units,
        "totals": totals,
        "export_form": ExportForm(),
    }
    return render(request, "portfolio/candidate.html", context)


def _unit_page(request, candidate, unit, *, status=200, confirm_error=None, own_assessor=None):
    (record,) = unit_records(candidate, [unit])
    standing = record.standing
    user = request.user
    if own_assessor is None:
        own_assessor = candidate.pk in candidate_ids(user)
    own_assessor = is_assessor(user) and (user.is_superuser or own_assessor)
    context = {
        "candidate": candidate,
        "unit": unit,
        "record": record,
        "standing": standing,
        "can_sign_off": own_assessor and standing is None and record.all_accepted,
        "can_countersign": is_internal_verifier(user)
        and standing is not None
        and standing.confirmed_at is not None
        and standing.countersigned_at is None
        and standing.assessor_id != user.pk,
        "error": confirm_error,
    }
    return render(request, "portfolio/unit.html", context, status=status)


@portfolio_reader_required
@require_safe
def portfolio_unit(request, pk, unit):
    enrolment = get_portfolio_enrolment(request.user, pk, unit)
    found = enrolment.unit
    found.enrolled_at = enrolment.enrolled_at
    log_view(request, person=enrolment.candidate, unit=found)
    return _unit_page(
        request, enrolment.candidate, found, own_assessor=enrolment.assessed_by_reader
    )


def _sign_off_step(request, pk, unit, service, message, **kwargs):
    candidate = get_portfolio_candidate(request.user, pk)
    found = get_portfolio_unit(request.user, candidate, unit)

    def page(exc: DomainError):
        log_view(request, person=candidate, unit=found)  # the page shows the records again
        return _unit_page(request, candidate, found, status=exc.status, confirm_error=str(exc))

    try:
        throttle(request, "decide")
        attempt(service, candidate=candidate, unit=found, ip=client_ip(request), **kwargs)
    except DomainError as exc:
        return refusal(request, exc, page)
    messages.success(request, message)
    return redirect(reverse("units:portfolio_unit", kwargs={"pk": pk, "unit": unit}) + "#sign-off")


@assessor_required
@require_POST
def sign_off(request, pk, unit):
    return _sign_off_step(
        request,
        pk,
        unit,
        signoff.unit_sign_off,
        _("The unit is signed off. The candidate is asked to confirm it."),
        assessor=request.user,
    )


@verifier_required
@require_POST
def countersign(request, pk, unit):
    return _sign_off_step(
        request,
        pk,
        unit,
        signoff.unit_countersign,
        _("The unit is countersigned."),
        verifier=request.user,
    )


@candidate_required
@require_POST
def confirm_unit(request, unit):
    found = get_unit(request.user, unit)
    progress = reverse("units:progress") + f"#unit-{found.pk}"

    def page(exc: DomainError):
        messages.error(request, str(exc))
        return redirect(progress)

    try:
        data = validated(ConfirmUnitForm(request.POST))
        attempt(
            signoff.unit_confirm,
            candidate=request.user,
            unit=found,
            declaration=data["declaration"],
            ip=client_ip(request),
        )
    except DomainError as exc:
        return refusal(request, exc, page)
    messages.success(request, _("Unit %(unit)s is complete: thank you.") % {"unit": found.code})
    return redirect(progress)
