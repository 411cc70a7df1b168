"""Who may see what. Views fetch every object through these helpers, so a
stranger's object answers 404 and a wrong role answers 403, in one place."""

from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import WrongPerson
from .models import Answer, Enrolment, LearningOutcome, Unit
from .roles import CANDIDATE

SIGNED_OUT_MESSAGE = gettext_lazy(
    "You have been signed out. Sign in again to save: your text is kept in this browser."
)


def wants_json(request) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


# The roles' permissions, and change_unit: who manages content and so sees drafts.
ROLE_CODENAMES = (
    "draft_answer",
    "review_answer",
    "change_unit",
    "verify_decision",
    "export_portfolio",
    "view_granted_portfolio",
)


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
    from .models import Verification

    verified = Verification.objects.filter(decision__answer=OuterRef("pk"))
    return get_object_or_404(
        Answer.objects.reviewable_by(user)
        .select_related("candidate", "learning_outcome__unit")
        .annotate(has_verifications=Exists(verified)),
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


# --- Quality assurance and portfolios ----------------------------------------------


def is_internal_verifier(user) -> bool:
    return "verify_decision" in role_permissions(user)


def is_external_verifier(user) -> bool:
    return not user.is_superuser and "view_granted_portfolio" in role_permissions(user)


def reads_every_portfolio(user) -> bool:
    """Internal verifiers and admins read (and export) every candidate's portfolio."""
    return "export_portfolio" in role_permissions(user)


def reads_portfolios(user) -> bool:
    """Anyone with a portfolio to read: assessors (their candidates'), internal
    verifiers and admins (everyone's), external verifiers (what they are granted)."""
    return is_assessor(user) or reads_every_portfolio(user) or is_external_verifier(user)


def verifier_required(view):
    @signed_in
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_internal_verifier(request.user):
            raise PermissionDenied("Only internal verifiers sample decisions.")
        return view(request, *args, **kwargs)

    return wrapper


def portfolio_reader_required(view):
    @signed_in
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not reads_portfolios(request.user):
            raise PermissionDenied("Only assessors and verifiers read portfolios.")
        return view(request, *args, **kwargs)

    return wrapper


def portfolio_candidates(user):
    """The people whose portfolios this person may read: everyone enrolled on a unit
    (internal verifiers, admins), an assessor's candidates, and the candidates of an
    external verifier's grants while they last."""
    from .models import PortfolioGrant

    people = get_user_model().objects.order_by("first_name", "last_name", "username")
    if reads_every_portfolio(user):
        return people.filter(pk__in=Enrolment.objects.values("candidate_id"))
    allowed = Q(pk__in=[])
    if is_assessor(user):
        allowed |= Q(assessor_assignments__assessor=user)
    if is_external_verifier(user):
        granted = PortfolioGrant.objects.active().filter(verifier=user)
        allowed |= Q(pk__in=granted.values("candidate_id"))
    return people.filter(allowed).distinct()


def portfolio_units(user, candidate):
    """The units of a candidate's portfolio this person may read: the published units
    the candidate is enrolled on; for an external verifier, those their grants name."""
    from .models import Assignment, PortfolioGrant

    units = Unit.objects.published().filter(enrolments__candidate=candidate)
    if reads_every_portfolio(user):
        return units
    # Checked inside the units' own query (no query of its own).
    allowed = Q(pk__in=[])
    if is_assessor(user):
        allowed |= Q(Exists(Assignment.objects.filter(assessor=user, candidate=candidate)))
    if is_external_verifier(user):
        granted = (
            PortfolioGrant.objects.active()
            .filter(verifier=user, candidate=candidate)
            .filter(Q(unit=None) | Q(unit=OuterRef("pk")))
        )
        allowed |= Q(Exists(granted))
    return units.filter(allowed)


def get_portfolio_candidate(user, pk: int):
    """A candidate whose portfolio the person may read; anyone else answers 404."""
    return get_object_or_404(portfolio_candidates(user), pk=pk)


def get_portfolio_unit(user, candidate, slug: str) -> Unit:
    return get_object_or_404(portfolio_units(user, candidate), slug=slug)


def get_portfolio_enrolment(user, candidate_pk: int, slug: str) -> Enrolment:
    """A unit of a candidate's portfolio, with the candidate, in one query: the unit's
    own access check says whether the person may read it (see portfolio_units), and
    assessed_by_reader whether they are the candidate's assessor (who signs it off)."""
    from .models import Assignment

    assessor = Assignment.objects.filter(assessor=user, candidate=OuterRef("candidate"))
    return get_object_or_404(
        Enrolment.objects.select_related("candidate", "unit")
        .filter(unit__in=portfolio_units(user, candidate_pk))
        .annotate(assessed_by_reader=Exists(assessor)),
        candidate_id=candidate_pk,
        unit__slug=slug,
    )


def get_decision_for_verification(user, pk: int):
    """A decision an internal verifier may sample: another assessor's accept or return
    on an answer that counts (a published unit its candidate is enrolled on)."""
    from .models import Decision

    return get_object_or_404(
        Decision.objects.sampleable_by(user).select_related(
            "assessor",
            "revision",
            "answer__candidate",
            "answer__learning_outcome__unit",
            "verification__verifier",
        ),
        pk=pk,
    )


def get_own_verification(user, pk: int):
    """Feedback from an internal verifier on one of the assessor's own decisions."""
    from .models import Verification

    return get_object_or_404(
        Verification.objects.for_assessor(user).select_related("decision"), pk=pk
    )


def get_own_export(user, pk: int):
    """An export the person asked for, while they may still read what it holds: an
    external verifier's grant that has ended takes its exports with it."""
    from .models import PortfolioExport

    export = get_object_or_404(
        PortfolioExport.objects.for_requester(user).kept().select_related("person", "unit"),
        pk=pk,
    )
    if export.kind == PortfolioExport.Kind.PERSONAL_DATA:
        if export.person_id != user.pk:
            raise Http404("Personal data goes to its person only.")
    elif export.content is not None:
        # Every unit the file holds, still readable: a grant narrowed since takes the
        # whole file with it.
        held = set(export.unit_ids) | ({export.unit_id} if export.unit_id else set())
        readable = set(
            portfolio_units(user, export.person).filter(pk__in=held).values_list("pk", flat=True)
        )
        candidate = portfolio_candidates(user).filter(pk=export.person_id)
        if not (held and held <= readable and candidate.exists()):
            raise Http404("This export is no longer yours to read.")
    return export
