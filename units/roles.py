"""Roles are Django groups with permissions. The names are used in seed_demo,
the admin and the tests; the permissions are what the views check.

The group names are stored as they are, in English (they are keys: migrations,
seed_demo and the access checks look groups up by them); ROLE_LABELS are the
names people read, in their interface language."""

from django.utils.translation import pgettext_lazy

CANDIDATE = "Candidate"
ASSESSOR = "Assessor"
ADMIN = "Admin"

ROLE_LABELS = {
    CANDIDATE: pgettext_lazy("role", "Candidate"),
    ASSESSOR: pgettext_lazy("role", "Assessor"),
    ADMIN: pgettext_lazy("role", "Admin"),
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
    # Imports in the browser: upload (add), confirm or discard (change), the log (view).
    + [("units", f"{action}_contentimport") for action in ("add", "change", "view")]
    # The notification outbox in the admin: status, attempts, errors (read only).
    + [("post_office", "view_email"), ("post_office", "view_log")],
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
