from django.contrib.auth.management import create_permissions
from django.db import migrations

from units.roles import ensure_roles

# The roles as they were when this migration was written. Permissions added to
# units.roles.ROLE_PERMISSIONS later reach databases through later migrations
# (0009_notification_admin_view), whose models may not exist yet at this point.
ROLES = {
    "Candidate": [("units", "draft_answer")],
    "Assessor": [("units", "review_answer"), ("units", "view_answer"), ("units", "view_revision")],
    "Admin": [
        (app, f"{action}_{model}")
        for app, model in [
            ("units", "unit"),
            ("units", "learningoutcome"),
            ("units", "modelanswer"),
            ("units", "unitintroduction"),
            ("units", "reading"),
            ("units", "assignment"),
            ("auth", "user"),
        ]
        for action in ("add", "change", "delete", "view")
    ]
    + [("units", "view_answer"), ("units", "view_revision")],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations have run; make
    # sure they exist now so the groups can be given them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), ROLES)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("units", "0002_work"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
