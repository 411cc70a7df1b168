"""The internal and external verifier roles, the Admin group's new permissions, the
retention clock of people already deactivated (it starts now: when they were
deactivated was not recorded), and everyone's cached roles read afresh."""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import F
from django.utils import timezone

from units.roles import ensure_roles

# As when this migration was written (see units.roles.ROLE_PERMISSIONS).
ADDED = {
    "Admin": [("units", f"{action}_portfoliogrant") for action in ("add", "change", "view")]
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
    + [("units", "export_portfolio")],
    "Internal verifier": [
        ("units", "verify_decision"),
        ("units", "export_portfolio"),
        ("units", "view_answer"),
        ("units", "view_revision"),
    ],
    "External verifier": [("units", "view_granted_portfolio")],
}


def add_roles(apps, schema_editor):
    # Permissions are normally created after all migrations have run.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), ADDED)
    Profile = apps.get_model("units", "Profile")
    User = apps.get_model("auth", "User")
    now = timezone.now()
    for user in User.objects.filter(is_active=False):
        Profile.objects.update_or_create(user=user, defaults={"deactivated_at": now})
    # Roles cached before this release know neither the new permissions nor the Admin
    # group's new grants (historical models send no signal): read them afresh.
    Profile.objects.update(roles_version=F("roles_version") + 1)


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Group.objects.filter(name__in=["Internal verifier", "External verifier"]).delete()
    for group in Group.objects.filter(name="Admin"):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="units",
                codename__in=[codename for _, codename in ADDED["Admin"]],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("units", "0018_quality_assurance_records"),
    ]

    operations = [migrations.RunPython(add_roles, remove_roles)]
