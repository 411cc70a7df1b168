"""Who may see what. Views fetch every object through these helpers, so a
stranger's object answers 404 and a wrong role answers 403, in one place."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from .models import Answer, LearningOutcome

SIGNED_OUT_MESSAGE = (
    "You have been signed out. Sign in again to save: your text is kept in this browser."
)


def wants_json(request) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def is_candidate(user) -> bool:
    # Superusers hold every permission but are not candidates.
    return user.is_authenticated and not user.is_superuser and user.has_perm("units.draft_answer")


def signed_in(view):
    """Like login_required, but a script's request gets a 401 it can act on, not a login page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if wants_json(request):
            return JsonResponse({"error": "signed_out", "message": SIGNED_OUT_MESSAGE}, status=401)
        return redirect_to_login(request.get_full_path())

    return wrapper


def candidate_required(view):
    @signed_in
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_candidate(request.user):
            raise PermissionDenied("Only candidates write answers.")
        return view(request, *args, **kwargs)

    return wrapper


def get_criterion(unit_slug: str, code: str) -> LearningOutcome:
    return get_object_or_404(
        LearningOutcome.objects.select_related("unit"), unit__slug=unit_slug, code=code
    )


def get_own_answer_or_none(user, criterion: LearningOutcome) -> Answer | None:
    return Answer.objects.for_candidate(user).filter(learning_outcome=criterion).first()


def get_own_answer(user, pk: int) -> Answer:
    return get_object_or_404(
        Answer.objects.for_candidate(user).select_related("learning_outcome__unit"), pk=pk
    )


def is_assessor(user) -> bool:
    # Superusers hold every permission: the admin sees every candidate's work.
    return user.is_authenticated and user.has_perm("units.review_answer")


def assessor_required(view):
    @signed_in
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_assessor(request.user):
            raise PermissionDenied("Only assessors review answers.")
        return view(request, *args, **kwargs)

    return wrapper


def get_answer_for_review(user, pk: int) -> Answer:
    """An answer the assessor may review: their candidate's, submitted at least once."""
    return get_object_or_404(
        Answer.objects.for_reviewer(user)
        .exclude(submitted_at=None)
        .select_related("candidate", "learning_outcome__unit"),
        pk=pk,
    )


def candidates_of(user):
    from django.contrib.auth import get_user_model

    from .roles import CANDIDATE

    users = get_user_model().objects.order_by("first_name", "last_name", "username")
    if user.is_superuser:
        return users.filter(groups__name=CANDIDATE)
    return users.filter(assessor_assignments__assessor=user)
