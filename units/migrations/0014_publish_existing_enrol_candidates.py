"""Units already in a bank stay as candidates knew them: published, and every
candidate enrolled on each unit, so nobody's home page or progress changes on
upgrade. The Admin role gets the permissions for enrolments, qualifications and
imports."""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import Q
from django.utils import timezone

from units.roles import ensure_roles

# As when this migration was written (see units.roles.ROLE_PERMISSIONS).
ADDED = {
    "Admin": [
        ("units", f"{action}_{model}")
        for model in ("qualification", "enrolment")
        for action in ("add", "change", "delete", "view")
    ]
    + [("units", f"{action}_contentimport") for action in ("add", "change", "view")]
}


def forwards(apps, schema_editor):
    Unit = apps.get_model("units", "Unit")
    Enrolment = apps.get_model("units", "Enrolment")
    User = apps.get_model("auth", "User")
    Unit.objects.filter(published_at=None).update(published_at=timezone.now())
    # Candidates as units.access.is_candidate sees them: draft_answer through a group
    # or granted directly, superusers excepted.
    held = Q(groups__permissions__codename="draft_answer") | Q(
        user_permissions__codename="draft_answer"
    )
    candidates = (
        User.objects.filter(held, is_superuser=False).values_list("pk", flat=True).distinct()
    )
    units = list(Unit.objects.values_list("pk", flat=True))
    Enrolment.objects.bulk_create(
        (
            Enrolment(candidate_id=candidate, unit_id=unit)
            for candidate in candidates.iterator()
            for unit in units
        ),
        batch_size=5000,
        ignore_conflicts=True,
    )
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), ADDED)


class Migration(migrations.Migration):
    dependencies = [("units", "0013_publication_enrolment_imports")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
