"""The internal verifier's side: the sample, the plan, a sampled decision and its
verdict; and the assessor's acknowledgement of the feedback."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import sampling, verification
from ..access import (
    assessor_required,
    get_decision_for_verification,
    get_own_verification,
    verifier_required,
)
from ..access_log import log_view
from ..errors import DomainError
from ..forms import PeriodForm, SampleFilterForm, SamplingPlanForm, VerdictForm, validated
from ..models import Decision, Unit
from ..roles import ASSESSOR
from ..security import client_ip
from ..text import highlight
from .common import attempt, refusal, throttle

PAGE_SIZE = 25
# The candidate filter matches at most this many people (a word as short as "a").
MATCHED_CANDIDATES = 5_000


@verifier_required
@require_safe
def sample(request):
    period_form = PeriodForm(request.GET or None, default=sampling.default_period())
    start, end = period_form.period()
    plan = sampling.plan_of(request.user)
    rows, too_many = sampling.period_decisions(request.user, start, end)
    drawn = sampling.propose(rows, plan)
    assessors = list(
        get_user_model()
        .objects.filter(pk__in={row.assessor_id for row in rows})
        .order_by("first_name", "last_name", "username")
    )
    form = SampleFilterForm(
        request.GET or None,
        assessors=assessors,
        units=Unit.objects.filter(pk__in=drawn.units).only("pk", "code", "title"),
    )
    keeps = form.row_filter(_matching_candidates(form.candidate_words()))
    listed = [row for row in reversed(rows) if keeps(row, drawn.state_of(row))]  # newest first
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    decisions = Decision.objects.select_related(
        "assessor", "answer__candidate", "answer__learning_outcome__unit", "verification"
    ).in_bulk([row.id for row in page])
    people_by_id = {person.pk: person for person in assessors}
    for share in drawn.shares:
        share.assessor = people_by_id.get(share.assessor_id)
    context = {
        "period_form": period_form,
        "form": form,
        "start": start,
        "end": end,
        "plan": plan,
        "drawn": drawn,
        "too_many": too_many,
        "page": page,
        "items": [(decisions[row.id], drawn.state_of(row)) for row in page if row.id in decisions],
    }
    return render(request, "quality/sample.html", context)


def _matching_candidates(words: list[str]) -> set[int] | None:
    """The ids of the people whose name or username holds every word (None: no filter)."""
    if not words:
        return None
    people = get_user_model().objects.all()
    for word in words:
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
        )
    return set(people.values_list("pk", flat=True)[:MATCHED_CANDIDATES])


def _assessors():
    return (
        get_user_model()
        .objects.filter(groups__name=ASSESSOR, is_active=True)
        .order_by("first_name", "last_name", "username")
    )


@verifier_required
@require_http_methods(["GET", "HEAD", "POST"])
def plan(request):
    current = sampling.plan_of(request.user)
    assessors = list(_assessors().exclude(pk=request.user.pk))
    form = SamplingPlanForm(request.POST or None, assessors=assessors, plan=current)
    if request.method == "POST" and form.is_valid():
        sampling.plan_update(
            verifier=request.user,
            percentage=form.cleaned_data["percentage"],
            every_unit=form.cleaned_data["every_unit"],
            rules=form.rules(),
        )
        messages.success(request, _("Your sampling plan is saved: the sample below follows it."))
        return redirect("units:sample")
    status = 400 if form.is_bound else 200
    return render(request, "quality/plan.html", {"form": form}, status=status)


def _decision_page(request, decision, *, form=None, status=200):
    answer = decision.answer
    # The revisions' numbers only: their texts are not shown but the one decided on.
    comments = list(answer.comments.select_related("author", "revision").defer("revision__text"))
    on_revision = [c for c in comments if c.revision_id == decision.revision_id and c.quote]
    for number, comment in enumerate(comments, 1):
        comment.number = number
    passages = [
        (c.quote_start, c.quote_end, c.number) for c in on_revision if c.quote_start is not None
    ]
    others = list(
        answer.decisions.select_related("assessor", "revision")
        .defer("revision__text")
        .exclude(pk=decision.pk)
    )
    standing = max([decision, *others], key=lambda d: (d.created_at, d.pk))
    existing = getattr(decision, "verification", None)
    context = {
        "decision": decision,
        "answer": answer,
        "criterion": answer.learning_outcome,
        "unit": answer.learning_outcome.unit,
        "highlighted": highlight(decision.revision.text, passages),
        "comments": comments,
        "other_decisions": others,
        "history": list(
            answer.audit_entries.select_related("actor", "revision").defer("revision__text")
        ),
        "verification": existing,
        "form": form or VerdictForm(),
        "can_reopen": existing is None
        and decision.outcome == Decision.Outcome.ACCEPTED
        and standing.pk == decision.pk
        and answer.status == answer.Status.ACCEPTED,
    }
    return render(request, "quality/decision.html", context, status=status)


@verifier_required
@require_safe
def decision(request, pk):
    found = get_decision_for_verification(request.user, pk)
    log_view(request, person=found.answer.candidate, unit=found.answer.learning_outcome.unit)
    return _decision_page(request, found)


@verifier_required
@require_POST
def verdict(request, pk):
    found = get_decision_for_verification(request.user, pk)
    form = VerdictForm(request.POST)

    def page(exc: DomainError):
        form.add_error(None, str(exc))
        log_view(request, person=found.answer.candidate, unit=found.answer.learning_outcome.unit)
        return _decision_page(request, found, form=form, status=exc.status)

    try:
        data = validated(form)
        throttle(request, "decide")
        attempt(
            verification.decision_verify,
            decision=found,
            verifier=request.user,
            verdict=data["verdict"],
            reason=data["reason"],
            action=data["action"],
            feedback=data["feedback"],
            reopen=data["reopen"],
            ip=client_ip(request),
        )
    except DomainError as exc:
        return refusal(request, exc, page)
    messages.success(request, _("Your verdict is recorded and the assessor is told."))
    return redirect(reverse("units:sample_decision", kwargs={"pk": found.pk}) + "#verdict")


@assessor_required
@require_POST
def acknowledge(request, pk):
    found = get_own_verification(request.user, pk)
    verification.verification_acknowledge(verification=found, assessor=request.user)
    messages.success(request, _("Marked as read."))
    if request.POST.get("back") == "review":
        review = reverse("units:review", kwargs={"pk": found.decision.answer_id})
        return redirect(review + "#verification")
    return redirect("units:home")
