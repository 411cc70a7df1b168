"""Validate fixtures the way loaddata does not: run full_clean() on every object.

The objects are saved inside a transaction that is always rolled back, so that
later objects can refer to earlier ones by natural key; nothing is kept.
"""

from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, transaction


class MissingReference(Exception):
    pass


def _cause_chain(exc: BaseException):
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def _describe(obj) -> str:
    label = obj._meta.label_lower
    try:
        return f"{label} {' '.join(map(str, obj.natural_key()))}"
    except ObjectDoesNotExist:
        return label


def _format_errors(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


class Command(BaseCommand):
    help = "Deserialise fixtures and run full_clean() on every object; keep nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="*", help="Fixture files (default: every fixtures/*.json)."
        )

    def handle(self, *args, **options):
        paths = [Path(name) for name in options["files"]] or sorted(
            (settings.BASE_DIR / "fixtures").glob("*.json")
        )
        if not paths:
            raise CommandError("No fixture files to check.")
        problems: list[str] = []
        checked = 0
        with transaction.atomic():
            pending = paths
            # A file may refer to objects another file creates (readings name
            # units), so a file with a missing reference waits for the others.
            while pending:
                waiting = []
                for path in pending:
                    try:
                        with transaction.atomic():
                            found, count = self._check_file(path)
                    except MissingReference as exc:
                        waiting.append((path, exc))
                        continue
                    problems.extend(found)
                    checked += count
                if len(waiting) == len(pending):
                    problems.extend(f"{path}: {exc}" for path, exc in waiting)
                    break
                pending = [path for path, _ in waiting]
            transaction.set_rollback(True)
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found in {len(paths)} fixture file(s).")
        self.stdout.write(f"{len(paths)} fixture file(s), {checked} objects: no problems.")

    def _check_file(self, path: Path) -> tuple[list[str], int]:
        problems = []
        count = 0
        try:
            with path.open(encoding="utf-8") as stream:
                for deserialized in serializers.deserialize("json", stream):
                    count += 1
                    problems.extend(self._check_object(path, deserialized))
        except FileNotFoundError:
            return [f"{path}: no such file"], 0
        except (DeserializationError, UnicodeDecodeError) as exc:
            if any(isinstance(e, ObjectDoesNotExist) for e in _cause_chain(exc)):
                raise MissingReference(self._message(exc)) from exc
            return [f"{path}: cannot be read: {self._message(exc)}"], count
        return problems, count

    def _check_object(self, path: Path, deserialized) -> list[str]:
        obj = deserialized.object
        problems = []
        try:
            obj.full_clean()
        except ValidationError as exc:
            problems.append(f"{path}: {_describe(obj)}: {_format_errors(exc)}")
        try:
            with transaction.atomic():
                deserialized.save()
        except (DatabaseError, ValueError) as exc:  # psycopg2 raises ValueError for NUL
            problems.append(f"{path}: {_describe(obj)}: the database refused it: {exc}")
        return problems

    @staticmethod
    def _message(exc: BaseException) -> str:
        return next((str(e) for e in _cause_chain(exc) if str(e)), type(exc).__name__)
