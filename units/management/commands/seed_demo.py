"""Create the demo accounts listed in the README. Safe to run again."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published in the README, demo only


class Command(BaseCommand):
    help = "Create the demo accounts (refused unless DEBUG is on or --force is given)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    @transaction.atomic
    def handle(self, *args, **options):
        if not (settings.DEBUG or options["force"]):
            raise CommandError(
                "seed_demo creates accounts with published passwords; it runs only with "
                "DEBUG on, or with --force."
            )
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            username="admin",
            defaults={"email": "admin@example.com", "first_name": "Ada", "last_name": "Admin"},
        )
        admin.is_staff = admin.is_superuser = admin.is_active = True
        admin.set_password(DEMO_PASSWORD)
        admin.save()
        self.stdout.write(
            f"{'Created' if created else 'Updated'} admin (password {DEMO_PASSWORD})."
        )
