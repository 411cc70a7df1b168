"""Who may see what. Views fetch every object through these helpers, so a
stranger's object answers 404 and a wrong role answers 403, in one place."""

from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import WrongPerson
from .models import Answer, LearningOutcome, Unit
from .roles import CANDIDATE

SIGNED_OUT_MESSAGE = gettext_lazy(
    "You have been signed out. Sign in again to save: your text is kept in this browser."
)


def wants_json(request) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


# The roles' permissions, and change_unit: who manages content and so sees drafts.
ROLE_CODENAMES = ("draft_answer", "review_answer", "change_unit")


ROLES_CACHE_SECONDS = 24 * 60 * 60


def _roles_cache_key(user) -> str | None:
    """The cache key of the person's roles, by their profile's roles_version, when the
    profile came with the user (units.backends.PersonBackend): no query to build it."""
    profile = get_user_model().profile.related.get_cached_value(user, default=None)
    return f"roles:{user.pk}:{profile.roles_version}" if profile is not None else None


def role_permissions(user) -> frozenset[str]:
    """Which of the role permissions the user holds, directly or through a group.

    Remembered on the user object for the request, and in the cache under the
    profile's roles_version, which any change of their groups or permissions
    moves on (units.roles.connect): no query on most requests, and a change of
    role shows on the very next one. Active and superuser come from the user row,
    read on every request.
    """
    held = getattr(user, "_role_permissions", None)
    if held is None:
        if not (user.is_authenticated and user.is_active):
            held = frozenset()
        elif user.is_superuser:
            held = frozenset(ROLE_CODENAMES)
        else:
            key = _roles_cache_key(user)
            held = cache.get(key) if key else None
            if held is None:
                held = frozenset(
                    Permission.objects.filter(Q(group__user=user) | Q(user=user))
                    .filter(content_type__app_label="units", codename__in=ROLE_CODENAMES)
                    .values_list("codename", flat=True)
                    .distinct()
                )
                if key:
                    cache.set(key, held, ROLES_CACHE_SECONDS)
        user._role_permissions = held
    return held


def is_candidate(user) -> bool:
    # Superusers hold every permission but are not candidates.
    return not user.is_superuser and "draft_answer" in role_permissions(user)


def signed_in(view):
    """Like login_required, but a script's request gets a 401 it can act on, not a login page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if wants_json(request):
            return JsonResponse(
                {"error": "signed_out", "message": str(SIGNED_OUT_MESSAGE)}, status=401
            )
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


def get_unit(user, slug: str) -> Unit:
    """A unit the person may open: a draft or a unit they are not enrolled on answers 404."""
    return get_object_or_404(Unit.objects.visible_to(user), slug=slug)


class CriterionNotOpen(Http404):
    """A criterion that does not exist, or is not open to this person: a draft
    unit, or one they are not enrolled on (perhaps no longer, while they were
    writing). The same words for both, so nobody learns which units exist."""


def get_criterion(user, unit_slug: str, code: str) -> LearningOutcome:
    criterion = (
        LearningOutcome.objects.select_related("unit")
        .filter(unit__in=Unit.objects.visible_to(user), unit__slug=unit_slug, code=code)
        .first()
    )
    if criterion is None:
        raise CriterionNotOpen(
            _(
                "This criterion is not open to you: its unit may have been withdrawn, or you "
                "are not enrolled on it. Anything you were writing is kept in this browser; "
                "ask your centre."
            )
        )
    return criterion


def get_own_answer_or_none(user, criterion: LearningOutcome) -> Answer | None:
    return Answer.objects.for_candidate(user).filter(learning_outcome=criterion).first()


def get_own_answer(user, pk: int) -> Answer:
    """The person's own answer, on a unit still open to them (see get_criterion)."""
    return get_object_or_404(
        Answer.objects.for_candidate(user)
        .filter(learning_outcome__unit__in=Unit.objects.visible_to(user))
        .select_related("learning_outcome__unit"),
        pk=pk,
    )


def is_assessor(user) -> bool:
    # Superusers hold every permission: the admin sees every candidate's work.
    return "review_answer" in role_permissions(user)


def assessor_required(view):
    @signed_in
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_assessor(request.user):
            raise PermissionDenied("Only assessors review answers.")
        return view(request, *args, **kwargs)

    return wrapper


def manages_content(user) -> bool:
    """Staff who edit units: they see draft units, to check them as a candidate would."""
    return "change_unit" in role_permissions(user)


def has_role(user) -> bool:
    """A candidate, an assessor or staff: someone the centre gave a part in the app."""
    return user.is_staff or bool(role_permissions(user) - {"change_unit"})


def role_required(view):
    """Signed in and with a role: an account nobody gave a role can only read."""

    @signed_in
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not has_role(request.user):
            raise PermissionDenied("Only candidates, assessors and staff use this.")
        return view(request, *args, **kwargs)

    return wrapper


def get_answer_for_review(user, pk: int) -> Answer:
    """An answer the assessor may review: their candidate's, submitted at least once."""
    return get_object_or_404(
        Answer.objects.reviewable_by(user).select_related("candidate", "learning_outcome__unit"),
        pk=pk,
    )


def candidates_of(user):
    """The people whose answers the assessor reviews (for the admin: every candidate)."""
    users = get_user_model().objects.order_by("first_name", "last_name", "username")
    if user.is_superuser:
        return users.filter(groups__name=CANDIDATE)
    return users.filter(assessor_assignments__assessor=user)


# Whose answer a drafting page was loaded for. Signed, so a page can only claim
# the person it was really served to; a save or submit from it is refused for
# anyone else signed in in the same browser since (a shared computer).
OWNER_SALT = "nvqbank.answer-owner"


def owner_token(user) -> str:
    return signing.dumps(user.pk, salt=OWNER_SALT)


def _first_name(user) -> str:
    return user.first_name or user.username


def check_page_owner(user, token: str) -> None:
    """Refuse unless the page that sent `token` was loaded for `user`."""
    try:
        owner_pk = signing.loads(token, salt=OWNER_SALT)
    except signing.BadSignature:
        owner_pk = None
    if owner_pk == user.pk:
        return
    owner = get_user_model().objects.filter(pk=owner_pk).first() if owner_pk else None
    if owner is None:
        raise WrongPerson(
            _(
                "This page was opened for someone else. Reload it to work on your own answer; "
                "the text is kept in this browser."
            )
        )
    raise WrongPerson(
        # Translators: %(owner)s and %(user)s are first names: the person the page was
        # opened for, and the person signed in now.
        _(
            "This page is %(owner)s's; you are signed in as %(user)s. "
            "Sign in as %(owner)s to save it — the text is kept in this browser."
        )
        % {"owner": _first_name(owner), "user": _first_name(user)}
    )
