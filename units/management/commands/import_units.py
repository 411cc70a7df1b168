"""Load content fixtures from a script or CI, with the checks, messages and log of
the admin's "Import units" page (units.importing): every problem is printed and
nothing is loaded; otherwise the plan is printed and the files load in one
transaction, recorded in the import log."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from units import importing
from units.models import ContentImport, Unit

ORIGIN = "manage.py import_units"


class Command(BaseCommand):
    help = (
        "Check fixture files of units, criteria, model answers, introductions and readings, "
        "print what they would change, and load them in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="Fixture files (JSON, UTF-8).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and print the plan; load nothing."
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Then publish every unit in the files that is a draft and complete.",
        )

    def handle(self, *args, **options):
        files, problems = importing.read_paths([Path(name) for name in options["files"]])
        plan = importing.validate_files(files, problems)
        if not plan.ok:
            for problem in importing.problems_shown(plan.problems):
                self.stderr.write(str(problem))
            raise CommandError(importing.problems_sentence(len(plan.problems)))
        for row in plan.summary_rows():
            self.stdout.write(importing.count_sentence(row))
        if options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was loaded."))
            return
        if not plan.by_action("created") and not plan.by_action("changed"):
            # Nothing to log either: `make run` runs this on every start.
            self.stdout.write(_("Nothing to load: the bank already holds the files as they are."))
        else:
            self._load(plan)
        if options["publish"]:
            self._publish(plan)

    def _load(self, plan):
        with transaction.atomic():
            staged = ContentImport.objects.stage(
                None, ContentImport.Kind.CONTENT, plan.files_to_stage(), origin=ORIGIN
            )
            plan = importing.content_import_apply(
                content_import=staged, fingerprint=plan.fingerprint()
            )
        self.stdout.write(_("Loaded, and recorded in the import log."))

    def _publish(self, plan):
        codes = [item.key[0] for item in plan.items if item.label == "units.unit"]
        published, refused = importing.units_publish(list(Unit.objects.filter(code__in=codes)))
        for unit in published:
            self.stdout.write(_("Published unit %(code)s.") % {"code": unit.code})
        for unit, problems in refused.items():
            self.stderr.write(
                _("Unit %(code)s stays a draft: %(problems)s")
                % {"code": unit.code, "problems": " ".join(problems)}
            )
