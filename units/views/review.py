"""The assessor's side: the review queue, the review page, comments and decisions."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .. import services, signoff
from ..access import (
    assessor_required,
    candidate_required,
    candidates_of,
    get_answer_for_review,
    get_own_answer,
)
from ..errors import DomainError
from ..feedback import feedback_context
from ..forms import (
    CommentForm,
    DecisionForm,
    QueueFilterForm,
    ReopenForm,
    ReplyForm,
    validated,
)
from ..models import Action, Answer, Unit, Verification
from ..security import client_ip
from .common import attempt, model_answer_panel, refusal, throttle

QUEUE_PAGE_SIZE = 25


def _queue_filter(request):
    return QueueFilterForm(
        request.GET or None,
        units=Unit.objects.visible_to(request.user),
        candidates=candidates_of(request.user),
    )


def _filtered(answers, form):
    """The queue's unit and candidate filters applied to answers (status is the caller's)."""
    if form.is_valid():
        if form.cleaned_data["unit"]:
            answers = answers.filter(learning_outcome__unit=form.cleaned_data["unit"])
        if form.cleaned_data["candidate"]:
            answers = answers.filter(candidate=form.cleaned_data["candidate"])
    return answers


@assessor_required
@require_safe
def queue(request):
    form = _queue_filter(request)
    answers = _filtered(
        Answer.objects.reviewable_by(request.user)
        .select_related("candidate", "learning_outcome__unit")
        .order_by("submitted_at", "id"),
        form,
    )
    status = (form.is_valid() and form.cleaned_data["status"]) or Answer.Status.SUBMITTED
    if status != "all":
        answers = answers.filter(status=status)
    page = Paginator(answers, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "status": status, "filters": _filters_query(form)}
    return render(request, "review/queue.html", context)


def _filters_query(form) -> str:
    """The unit and candidate filters as a query string, carried from the queue to
    each review page, so "next waiting" follows the same filters."""
    if not form.is_valid():
        return ""
    kept = {name: form.data[name] for name in ("unit", "candidate") if form.cleaned_data.get(name)}
    return "?" + urlencode(kept) if kept else ""


def _review_page(request, answer, *, status=200, **forms):
    criterion = answer.learning_outcome
    queue_filter = _queue_filter(request)
    next_waiting = (
        _filtered(Answer.objects.for_reviewer(request.user), queue_filter)
        .filter(status=Answer.Status.SUBMITTED)
        .exclude(pk=answer.pk)
        .select_related("candidate", "learning_outcome__unit")
        .order_by("submitted_at", "id")
        .first()
    )
    context = {
        "answer": answer,
        "criterion": criterion,
        "unit": criterion.unit,
        "comment_form": forms.get("comment_form") or CommentForm(),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
        "can_decide": answer.allows(Action.ACCEPT),
        "can_reopen": answer.allows(Action.REOPEN),
        "can_comment": answer.can_be_commented,
        "next_waiting": next_waiting,
        "verifications": _verifications(request.user, answer),
        "filters": _filters_query(queue_filter),
        **feedback_context(answer, for_candidate=False),
        **model_answer_panel(request, criterion),
    }
    return render(request, "review/review.html", context, status=status)


def _verifications(user, answer) -> list[Verification]:
    """The internal verifier's verdicts on this answer's decisions; the assessor whose
    decision it was may mark each read."""
    if not answer.has_verifications:
        return []  # known from the answer's own query: no query for most answers
    verifications = list(
        Verification.objects.filter(decision__answer=answer).select_related("verifier", "decision")
    )
    for verification in verifications:
        verification.can_acknowledge = (
            verification.decision.assessor_id == user.pk and verification.acknowledged_at is None
        )
    return verifications


@assessor_required
@require_safe
def review(request, pk):
    return _review_page(request, get_answer_for_review(request.user, pk))


def _back_to_review(request, answer, anchor=""):
    query = _filters_query(_queue_filter(request))
    return redirect(reverse("units:review", kwargs={"pk": answer.pk}) + query + anchor)


def _form_again(request, answer, name, form):
    """The review page again, the refusal shown on the form that was sent."""

    def page(exc: DomainError):
        form.add_error(None, str(exc))
        return _review_page(request, answer, status=exc.status, **{name: form})

    return page


@assessor_required
@require_POST
def comment(request, pk):
    answer = get_answer_for_review(request.user, pk)
    form = CommentForm(request.POST)
    try:
        data = validated(form)
        throttle(request, "comment")
        attempt(
            services.comment_add,
            answer=answer,
            author=request.user,
            body=data["body"],
            quote=data["quote"],
            quote_start=data["quote_start"],
        )
    except DomainError as exc:
        return refusal(request, exc, _form_again(request, answer, "comment_form", form))
    messages.success(request, _("Your comment is added."))
    return _back_to_review(request, answer, "#comments")


DECIDE_WITH = {Action.RETURN: services.answer_return, Action.ACCEPT: services.answer_accept}


@assessor_required
@require_POST
def decide(request, pk):
    answer = get_answer_for_review(request.user, pk)
    form = DecisionForm(request.POST)
    try:
        data = validated(form)
        throttle(request, "decide")
        answer = attempt(
            DECIDE_WITH[data["action"]],
            answer=answer,
            assessor=request.user,
            ip=client_ip(request),
        )
    except DomainError as exc:
        return refusal(request, exc, _form_again(request, answer, "decision_form", form))
    if answer.status == Answer.Status.ACCEPTED:
        messages.success(request, _("The answer is now: accepted."))
        _suggest_sign_off(request, answer)
    else:
        messages.success(request, _("The answer is now: needs revision."))
    return _back_to_review(request, answer, "#decision")


def _suggest_sign_off(request, answer) -> None:
    """After the last criterion of a unit is accepted, say the unit can be signed off."""
    unit = answer.learning_outcome.unit
    if signoff.ready_to_sign_off(answer.candidate, unit):
        url = reverse("units:portfolio_unit", kwargs={"pk": answer.candidate_id, "unit": unit.slug})
        messages.info(
            request,
            format_html(
                '{} <a href="{}#sign-off">{}</a>',
                _("Every criterion of unit %(unit)s is now accepted for %(name)s.")
                % {"unit": unit.code, "name": answer.candidate.get_full_name() or answer.candidate},
                url,
                _("Sign the unit off"),
            ),
        )


@assessor_required
@require_POST
def reopen(request, pk):
    answer = get_answer_for_review(request.user, pk)
    form = ReopenForm(request.POST)
    try:
        data = validated(form)
        throttle(request, "decide")
        answer = attempt(
            services.answer_reopen,
            answer=answer,
            by=request.user,
            reason=data["reason"],
            ip=client_ip(request),
        )
    except DomainError as exc:
        return refusal(request, exc, _form_again(request, answer, "reopen_form", form))
    messages.success(request, _("The answer is reopened: the candidate can revise it."))
    return _back_to_review(request, answer)


@candidate_required
@require_POST
def reply(request, pk):
    answer = get_own_answer(request.user, pk)
    criterion = answer.learning_outcome
    write_url = reverse("units:write", kwargs={"unit": criterion.unit.slug, "code": criterion.code})

    def page(exc: DomainError):
        messages.error(request, str(exc))
        return redirect(write_url + "#feedback")

    try:
        data = validated(ReplyForm(request.POST))
        throttle(request, "comment")
        attempt(services.comment_add, answer=answer, author=request.user, body=data["body"])
    except DomainError as exc:
        return refusal(request, exc, page)
    messages.success(request, _("Your reply is added."))
    return redirect(write_url + "#feedback")
