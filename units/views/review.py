"""The assessor's side: the review queue, the review page, comments and decisions."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from .. import services
from ..access import (
    assessor_required,
    candidate_required,
    candidates_of,
    get_answer_for_review,
    get_own_answer,
)
from ..feedback import feedback_context
from ..forms import CommentForm, DecisionForm, QueueFilterForm, ReopenForm, ReplyForm
from ..models import Answer, Unit
from ..security import client_ip
from .common import model_answer_context

QUEUE_PAGE_SIZE = 25


@assessor_required
@require_safe
def queue(request):
    form = QueueFilterForm(
        request.GET or None, units=Unit.objects.all(), candidates=candidates_of(request.user)
    )
    answers = (
        Answer.objects.for_reviewer(request.user)
        .exclude(submitted_at=None)
        .select_related("candidate", "learning_outcome__unit")
        .order_by("submitted_at", "id")
    )
    status = "submitted"
    if form.is_valid():
        status = form.cleaned_data["status"] or status
        if form.cleaned_data["unit"]:
            answers = answers.filter(learning_outcome__unit=form.cleaned_data["unit"])
        if form.cleaned_data["candidate"]:
            answers = answers.filter(candidate=form.cleaned_data["candidate"])
    if status != "all":
        answers = answers.filter(status=status)
    page = Paginator(answers, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "review/queue.html", {"form": form, "page": page, "status": status})


def _review_page(request, answer, *, status=200, **forms):
    criterion = answer.learning_outcome
    context = {
        "answer": answer,
        "criterion": criterion,
        "unit": criterion.unit,
        "comment_form": forms.get("comment_form") or CommentForm(),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
        "can_decide": answer.allows("accept"),
        "can_reopen": answer.allows("reopen"),
        **feedback_context(answer, for_candidate=False),
        **model_answer_context(request, criterion),
    }
    return render(request, "review/review.html", context, status=status)


@assessor_required
@require_safe
def review(request, pk):
    return _review_page(request, get_answer_for_review(request.user, pk))


def _back_to_review(answer, anchor=""):
    return redirect(reverse("units:review", kwargs={"pk": answer.pk}) + anchor)


@assessor_required
@require_POST
def comment(request, pk):
    answer = get_answer_for_review(request.user, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(
                answer=answer,
                author=request.user,
                body=form.cleaned_data["body"],
                quote=form.cleaned_data["quote"],
                quote_start=form.cleaned_data["quote_start"],
            )
        except services.DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your comment is added.")
            return _back_to_review(answer, "#comments")
    return _review_page(request, answer, comment_form=form, status=400)


@assessor_required
@require_POST
def decide(request, pk):
    answer = get_answer_for_review(request.user, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        decide_with = {
            "needs_revision": services.answer_return,
            "accepted": services.answer_accept,
        }[form.cleaned_data["outcome"]]
        try:
            answer = decide_with(answer=answer, assessor=request.user, ip=client_ip(request))
        except services.DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"The answer is now: {answer.get_status_display().lower()}.")
            return _back_to_review(answer)
    return _review_page(request, answer, decision_form=form, status=400)


@assessor_required
@require_POST
def reopen(request, pk):
    answer = get_answer_for_review(request.user, pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            answer = services.answer_reopen(
                answer=answer,
                by=request.user,
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            )
        except services.DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "The answer is reopened: the candidate can revise it.")
            return _back_to_review(answer)
    return _review_page(request, answer, reopen_form=form, status=400)


@candidate_required
@require_POST
def reply(request, pk):
    answer = get_own_answer(request.user, pk)
    criterion = answer.learning_outcome
    write_url = reverse("units:write", kwargs={"unit": criterion.unit.slug, "code": criterion.code})
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect(write_url + "#feedback")
    try:
        services.comment_add(answer=answer, author=request.user, body=form.cleaned_data["body"])
    except services.DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your reply is added.")
    return redirect(write_url + "#feedback")
