"""The candidate's own answer to a criterion: draft, autosave, submit, revisions."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .. import services
from ..access import (
    candidate_required,
    check_page_owner,
    get_criterion,
    get_own_answer,
    get_own_answer_or_none,
    owner_token,
    role_required,
    wants_json,
)
from ..errors import DomainError, status_details
from ..feedback import feedback_context
from ..forms import DECLARATION, CompareForm, DraftForm, PreviewForm, SubmitForm, validated
from ..markdown import render_markdown
from ..models import Answer
from ..security import client_ip
from ..text import MAX_ANSWER_CHARS, count_words, word_diff
from .common import attempt, model_answer_panel, refusal, throttle


def _write_page(request, criterion, answer, *, form=None, conflict=None, status=200):
    """Render the drafting page; after a refused POST, the posted text stays in the editor."""
    text = form.data.get("text", "") if form is not None else (answer.text if answer else "")
    version = (conflict or answer).version if (conflict or answer) else 0
    context = {
        "unit": criterion.unit,
        "criterion": criterion,
        "my_answer": answer,
        "status": Answer.Status(answer.status if answer else Answer.Status.NOT_STARTED),
        "editable": answer is None or answer.is_editable,
        "can_reply": answer is not None and answer.can_be_commented,
        "text": text,
        "version": version,
        "owner_token": owner_token(request.user),
        "owner_name": request.user.first_name or request.user.username,
        "form": form,
        "conflict": conflict,
        "declaration": DECLARATION,
        "max_chars": MAX_ANSWER_CHARS,
        "word_count": count_words(text),
        **feedback_context(answer, for_candidate=True),
        **model_answer_panel(request, criterion),
    }
    return render(request, "units/write.html", context, status=status)


@candidate_required
@require_safe
def write(request, unit, code):
    criterion = get_criterion(request.user, unit, code)
    return _write_page(request, criterion, get_own_answer_or_none(request.user, criterion))


def _saved_at(answer: Answer | None) -> dict:
    if answer is None:
        return {"saved_at": "", "saved_at_display": ""}
    return {
        "saved_at": answer.updated_at.isoformat(),
        "saved_at_display": time_format(timezone.localtime(answer.updated_at), "TIME_FORMAT"),
    }


@candidate_required
@require_safe
def answer_state(request, unit, code):
    """What the server holds now, so an open tab can tell whether it is still true.

    A tab names whose page it is: one loaded for someone else (a shared computer)
    is refused, so it never shows the answer of the person signed in since."""
    criterion = get_criterion(request.user, unit, code)
    if "owner" in request.GET:
        try:
            check_page_owner(request.user, request.GET["owner"])
        except DomainError as exc:
            return JsonResponse(exc.as_json(), status=exc.status)
    answer = get_own_answer_or_none(request.user, criterion)
    return JsonResponse(
        {
            "version": answer.version if answer else 0,
            "text": answer.text if answer else "",
            "word_count": count_words(answer.text) if answer else 0,
            **status_details(answer),
            **_saved_at(answer),
        }
    )


def _refused_page(request, criterion, form):
    """The drafting page again after a refusal, with the message and the posted text."""

    def page(exc: DomainError):
        messages.error(request, str(exc))
        current = get_own_answer_or_none(request.user, criterion)
        conflict = getattr(exc, "current", None)
        return _write_page(
            request, criterion, current, form=form, conflict=conflict, status=exc.status
        )

    return page


@candidate_required
@require_POST
def save(request, unit, code):
    criterion = get_criterion(request.user, unit, code)
    form = DraftForm(request.POST)
    try:
        data = validated(form)
        check_page_owner(request.user, data["owner"])
        throttle(request, "save")
        answer = attempt(
            services.draft_save,
            candidate=request.user,
            criterion=criterion,
            text=data["text"],
            base_version=data["version"],
        )
    except DomainError as exc:
        return refusal(request, exc, _refused_page(request, criterion, form))
    if wants_json(request):
        return JsonResponse(
            {
                "version": answer.version,
                "word_count": count_words(answer.text),
                **status_details(answer),
                **_saved_at(answer),
            }
        )
    messages.success(request, _("Your answer is saved."))
    return redirect("units:write", unit=criterion.unit.slug, code=criterion.code)


@candidate_required
@require_POST
def submit(request, unit, code):
    criterion = get_criterion(request.user, unit, code)
    form = SubmitForm(request.POST)
    try:
        data = validated(form)
        check_page_owner(request.user, data["owner"])
        throttle(request, "submit")
        revision = attempt(
            services.draft_submit,
            candidate=request.user,
            criterion=criterion,
            text=data["text"],
            base_version=data["version"],
            declaration=data["declaration"],
            ip=client_ip(request),
        )
    except DomainError as exc:
        return refusal(request, exc, _refused_page(request, criterion, form))
    messages.success(
        request,
        # Translators: a revision number and a criterion code, such as 3.5.
        _("Revision %(number)s of %(code)s is submitted for assessment.")
        % {"number": revision.number, "code": criterion.code},
    )
    return redirect("units:write", unit=criterion.unit.slug, code=criterion.code)


@role_required
@require_POST
def preview(request):
    try:
        data = validated(PreviewForm(request.POST))
        throttle(request, "preview")
    except DomainError as exc:
        return JsonResponse(exc.as_json(), status=exc.status)
    return JsonResponse({"html": render_markdown(data["text"])})


@candidate_required
@require_safe
def revisions(request, pk):
    answer = get_own_answer(request.user, pk)
    all_revisions = list(answer.revisions.all())
    by_number = {revision.number: revision for revision in all_revisions}
    compare = CompareForm(request.GET) if "a" in request.GET else None
    diff = None
    if compare is not None and compare.is_valid():
        old = by_number.get(compare.cleaned_data["a"])
        new = by_number.get(compare.cleaned_data["b"])
        if old and new:
            diff = {"old": old, "new": new, "changes": word_diff(old.text, new.text)}
    context = {
        "answer": answer,
        "criterion": answer.learning_outcome,
        "unit": answer.learning_outcome.unit,
        "revisions": all_revisions,
        "diff": diff,
        "compare_invalid": compare is not None and diff is None,
    }
    return render(request, "units/revisions.html", context)
