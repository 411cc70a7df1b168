"""The candidate's own answer to a criterion: draft, autosave, submit, revisions."""

import logging

from django.contrib import messages
from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import time_format
from django.views.decorators.http import require_POST, require_safe

from .. import services
from ..access import (
    candidate_required,
    get_criterion,
    get_own_answer,
    get_own_answer_or_none,
    signed_in,
    wants_json,
)
from ..feedback import feedback_context
from ..forms import DECLARATION, CompareForm, DraftForm, PreviewForm, SubmitForm
from ..markdown import render_markdown
from ..models import Answer
from ..security import client_ip
from ..text import MAX_ANSWER_CHARS, count_words, diff_words
from .common import model_answer_context

logger = logging.getLogger(__name__)

UNAVAILABLE = (
    "The server could not save just now. Your text is kept in this browser and will be "
    "saved when the server answers again."
)


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


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
        "text": text,
        "version": version,
        "form": form,
        "conflict": conflict,
        "declaration": DECLARATION,
        "max_chars": MAX_ANSWER_CHARS,
        "word_count": count_words(text),
        **feedback_context(answer, for_candidate=True),
        **model_answer_context(request, criterion),
    }
    return render(request, "units/write.html", context, status=status)


@candidate_required
@require_safe
def write(request, unit, code):
    criterion = get_criterion(unit, code)
    return _write_page(request, criterion, get_own_answer_or_none(request.user, criterion))


def _saved(answer: Answer) -> dict:
    local = timezone.localtime(answer.updated_at)
    return {
        "version": answer.version,
        "saved_at": answer.updated_at.isoformat(),
        "saved_at_display": time_format(local, "H:i"),
        "word_count": count_words(answer.text),
    }


@candidate_required
@require_POST
def save(request, unit, code):
    criterion = get_criterion(unit, code)
    form = DraftForm(request.POST)

    def current():  # only a refused save shows the page again
        return get_own_answer_or_none(request.user, criterion)

    if not form.is_valid():
        if wants_json(request):
            return JsonResponse({"error": "invalid", "message": _first_error(form)}, status=400)
        messages.error(request, _first_error(form))
        return _write_page(request, criterion, current(), form=form, status=400)
    try:
        answer = services.draft_save(
            candidate=request.user,
            criterion=criterion,
            text=form.cleaned_data["text"],
            base_version=form.cleaned_data["version"],
        )
    except DatabaseError:
        # The database refused the write (locked, down, out of space): say so,
        # keep what was saved, and let the page keep the text and try again.
        logger.exception("Saving an answer failed")
        if wants_json(request):
            return JsonResponse({"error": "unavailable", "message": UNAVAILABLE}, status=503)
        messages.error(request, UNAVAILABLE)
        return _write_page(request, criterion, current(), form=form, status=503)
    except services.StaleVersion as exc:
        if wants_json(request):
            return JsonResponse(
                {
                    "error": "conflict",
                    "message": str(exc),
                    "server_text": exc.current.text if exc.current else "",
                    "server_version": exc.current.version if exc.current else 0,
                },
                status=409,
            )
        messages.error(request, str(exc))
        return _write_page(
            request, criterion, current(), form=form, conflict=exc.current, status=409
        )
    except services.DomainError as exc:
        if wants_json(request):
            return JsonResponse({"error": "refused", "message": str(exc)}, status=409)
        messages.error(request, str(exc))
        return _write_page(request, criterion, current(), form=form, status=409)
    if wants_json(request):
        return JsonResponse(_saved(answer))
    messages.success(request, "Your answer is saved.")
    return redirect("units:write", unit=criterion.unit.slug, code=criterion.code)


@candidate_required
@require_POST
def submit(request, unit, code):
    criterion = get_criterion(unit, code)
    form = SubmitForm(request.POST)
    conflict, status = None, 400
    if form.is_valid():
        try:
            revision = services.draft_submit(
                candidate=request.user,
                criterion=criterion,
                text=form.cleaned_data["text"],
                base_version=form.cleaned_data["version"],
                declaration=form.cleaned_data["declaration"],
                ip=client_ip(request),
            )
        except DatabaseError:
            logger.exception("Submitting an answer failed")
            status = 503
            messages.error(request, UNAVAILABLE)
        except services.StaleVersion as exc:
            conflict, status = exc.current, 409
            messages.error(request, str(exc))
        except services.DomainError as exc:
            status = 409
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"Revision {revision.number} of {criterion.code} is submitted for assessment.",
            )
            return redirect("units:write", unit=criterion.unit.slug, code=criterion.code)
    else:
        messages.error(request, _first_error(form))
    current = get_own_answer_or_none(request.user, criterion)
    return _write_page(request, criterion, current, form=form, conflict=conflict, status=status)


@signed_in
@require_POST
def preview(request):
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "invalid", "message": _first_error(form)}, status=400)
    return JsonResponse({"html": render_markdown(form.cleaned_data["text"])})


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
            diff = {"old": old, "new": new, "pieces": diff_words(old.text, new.text)}
    context = {
        "answer": answer,
        "criterion": answer.learning_outcome,
        "unit": answer.learning_outcome.unit,
        "revisions": all_revisions,
        "diff": diff,
        "compare_invalid": compare is not None and diff is None,
    }
    return render(request, "units/revisions.html", context)
