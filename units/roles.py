"""Roles are Django groups with permissions. The names are used in seed_demo,
the admin and the tests; the permissions are what the views check.

The group names are stored as they are, in English (they are keys: migrations,
seed_demo and the access checks look groups up by them); ROLE_LABELS are the
names people read, in their interface language."""

from django.utils.translation import pgettext_lazy

CANDIDATE = "Candidate"
ASSESSOR = "Assessor"
ADMIN = "Admin"
# Internal quality assurance (IQA): samples assessors' decisions, gives them
# feedback, countersigns units, reads and exports every portfolio.
INTERNAL_VERIFIER = "Internal verifier"
# The awarding body's external quality assurer (EQA): reads, for a time, the
# portfolios an admin grants them (units.models.PortfolioGrant).
EXTERNAL_VERIFIER = "External verifier"

ROLE_LABELS = {
    CANDIDATE: pgettext_lazy("role", "Candidate"),
    ASSESSOR: pgettext_lazy("role", "Assessor"),
    ADMIN: pgettext_lazy("role", "Admin"),
    INTERNAL_VERIFIER: pgettext_lazy("role", "Internal verifier"),
    EXTERNAL_VERIFIER: pgettext_lazy("role", "External verifier"),
}


def role_label(name: str) -> str:
    """A group's name as people read it: a role's in their language, any other as stored."""
    label = ROLE_LABELS.get(name)
    return str(label) if label is not None else name


# group -> (app_label, codename) of each permission it carries.
ROLE_PERMISSIONS = {
    CANDIDATE: [("units", "draft_answer")],
    ASSESSOR: [("units", "review_answer"), ("units", "view_answer"), ("units", "view_revision")],
    ADMIN: [
        (app, f"{action}_{model}")
        for app, model in [
            ("units", "unit"),
            ("units", "learningoutcome"),
            ("units", "modelanswer"),
            ("units", "unitintroduction"),
            ("units", "reading"),
            ("units", "assignment"),
            ("units", "qualification"),
            ("units", "enrolment"),
            ("auth", "user"),
        ]
        for action in ("add", "change", "delete", "view")
    ]
    + [("units", "view_answer"), ("units", "view_revision")]
    # Quality records: grants to external verifiers, and the logs (read only).
    + [("units", f"{action}_portfoliogrant") for action in ("add", "change", "view")]
    + [
        ("units", f"view_{model}")
        for model in (
            "recordaccess",
            "portfolioexport",
            "unitsignoff",
            "signoffevent",
            "verification",
        )
    ]
    + [("units", "export_portfolio")]
    # Imports in the browser: upload (add), confirm or discard (change), the log (view).
    + [("units", f"{action}_contentimport") for action in ("add", "change", "view")]
    # The notification outbox in the admin: status, attempts, errors (read only).
    + [("post_office", "view_email"), ("post_office", "view_log")],
    INTERNAL_VERIFIER: [
        ("units", "verify_decision"),
        ("units", "export_portfolio"),
        ("units", "view_answer"),
        ("units", "view_revision"),
    ],
    EXTERNAL_VERIFIER: [("units", "view_granted_portfolio")],
}


def ensure_roles(group_model=None, permission_model=None, roles=None) -> None:
    """Create the role groups with their permissions, if missing. Idempotent.

    Takes the models as arguments so a data migration can pass its historical ones,
    and the roles (default ROLE_PERMISSIONS) so it can pass the permissions as they
    were when it was written: a permission added here later reaches existing
    databases through a new data migration (e.g. 0009_notification_admin_view).
    """
    if group_model is None:
        from django.contrib.auth.models import Group as group_model
        from django.contrib.auth.models import Permission as permission_model
    for name, wanted in (ROLE_PERMISSIONS if roles is None else roles).items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.add(
            *(
                permission_model.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in wanted
            )
        )


def bump_roles_version(users) -> None:
    """Move on the roles_version of these people (a queryset or ids of users)."""
    from django.db.models import F

    from .models import Profile

    Profile.objects.filter(user__in=users).update(roles_version=F("roles_version") + 1)


def _people_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A person's groups or own permissions changed (from either side)."""
    if action == "pre_clear" and reverse:
        bump_roles_version(instance.user_set.all())  # a group or permission emptied
    elif action == "pre_clear" or (action in ("post_add", "post_remove") and not reverse):
        bump_roles_version([instance.pk])
    elif action in ("post_add", "post_remove"):
        bump_roles_version(pk_set)


def _group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A group's permissions changed: everyone in the group (from either side)."""
    from django.contrib.auth import get_user_model

    people = get_user_model().objects
    if action == "pre_clear" and reverse:
        bump_roles_version(people.filter(groups__permissions=instance))
    elif action == "pre_clear" or (action in ("post_add", "post_remove") and not reverse):
        bump_roles_version(people.filter(groups=instance))
    elif action in ("post_add", "post_remove"):
        bump_roles_version(people.filter(groups__in=pk_set))


def _group_deleted(sender, instance, **kwargs):
    bump_roles_version(instance.user_set.all())


def _ensure_profile(sender, user, **kwargs):
    """Everyone signed in has a profile: it carries the roles_version their cached
    roles are read by (without one, roles are read from the database each time)."""
    from .models import Profile

    Profile.objects.get_or_create(user=user)


def connect() -> None:
    """Keep units.access's cached roles true: see Profile.roles_version."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.auth.signals import user_logged_in
    from django.db.models.signals import m2m_changed, pre_delete

    user_logged_in.connect(_ensure_profile)
    user = get_user_model()
    m2m_changed.connect(_people_changed, sender=user.groups.through)
    m2m_changed.connect(_people_changed, sender=user.user_permissions.through)
    m2m_changed.connect(_group_permissions_changed, sender=Group.permissions.through)
    pre_delete.connect(_group_deleted, sender=Group)
