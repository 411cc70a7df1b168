"""Check fixture files as the admin's "Import units" page and import_units do
(units.importing): every problem, each a sentence naming the file, the object and
the field. Nothing is kept: the database's constraints are tried in a transaction
that is rolled back."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from units import importing


class Command(BaseCommand):
    help = "Check fixture files (every problem, in sentences) against the bank; keep nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="*", help="Fixture files (default: every fixtures/*.json)."
        )

    def handle(self, *args, **options):
        paths = [Path(name) for name in options["files"]] or sorted(
            (settings.BASE_DIR / "fixtures").glob("*.json")
        )
        if not paths:
            raise CommandError(_("No fixture files to check."))
        files, problems = importing.read_paths(paths)
        plan = importing.validate_files(files, problems)
        for problem in importing.problems_shown(plan.problems):
            self.stderr.write(str(problem))
        if plan.problems:
            raise CommandError(
                ngettext(
                    "%(count)s problem found in %(files)s.",
                    "%(count)s problems found in %(files)s.",
                    len(plan.problems),
                )
                % {"count": len(plan.problems), "files": self._files(len(paths))}
            )
        self.stdout.write(
            ngettext(
                "%(files)s, %(count)s object: no problems.",
                "%(files)s, %(count)s objects: no problems.",
                len(plan.items),
            )
            % {"files": self._files(len(paths)), "count": len(plan.items)}
        )

    @staticmethod
    def _files(count: int) -> str:
        return ngettext("%(count)s fixture file", "%(count)s fixture files", count) % {
            "count": count
        }
