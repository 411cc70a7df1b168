"""Staff in the Admin group may read the notification outbox in the admin.

Databases whose roles were made by 0003_roles get the new permissions here.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from units.roles import ensure_roles

# As when this migration was written (see units.roles.ROLE_PERMISSIONS).
ADDED = {"Admin": [("post_office", "view_email"), ("post_office", "view_log")]}


def add_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations have run.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), ADDED)


def remove_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in ADDED.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label__in={app for app, _ in wanted},
                    codename__in={codename for _, codename in wanted},
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("post_office", "0014_alter_email_recipient_delivery_status_and_more"),
        ("units", "0008_workflow_vocabulary_profile_listed_languages"),
    ]

    operations = [migrations.RunPython(add_permissions, remove_permissions)]
