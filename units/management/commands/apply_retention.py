"""Anonymise everyone whose retention period is over; delete expired exports and
old delivered notifications.

Run it daily (cron, or a systemd timer): a person deactivated DATA_RETENTION_DAYS
ago or more is anonymised (units.retention), one transaction each. With --dry-run
it lists who would be, and changes nothing.
"""

from django.core.management.base import BaseCommand, CommandError

from units import retention


class Command(BaseCommand):
    help = "Anonymise the people past the retention period; delete expired exports."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would be anonymised; change nothing."
        )

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        found, failed = retention.apply_retention(dry_run=dry_run)
        days = retention.retention_period().days
        verb = "would be anonymised" if dry_run else "anonymised"
        for username, deactivated_at in found:
            self.stdout.write(f"{username}: deactivated {deactivated_at:%Y-%m-%d}, {verb}.")
        for username, _deactivated_at in failed:
            self.stderr.write(f"{username}: could not be anonymised (see the log); left as is.")
        self.stdout.write(
            f"{len(found)} {'person' if len(found) == 1 else 'people'} past the retention "
            f"period ({days} days) {verb}."
        )
        if dry_run:
            return
        pruned = retention.prune_exports()
        self.stdout.write(f"{pruned} expired export{'' if pruned == 1 else 's'} deleted.")
        emails = retention.prune_notifications()
        self.stdout.write(f"{emails} delivered notification{'' if emails == 1 else 's'} deleted.")
        if failed:
            raise CommandError(f"{len(failed)} could not be anonymised: see above and the log.")
