"""Importing content fixtures: one validator, planner and loader for the admin's
upload pages, `manage.py import_units` and `manage.py check_fixtures`.

Files are the fixtures `dumpdata --natural-foreign` writes for the content models
(units, criteria, model answers, unit introductions, readings, qualifications),
matched on their natural keys and never on database ids.

1. validate: every problem, each a sentence naming the file, the object by its
   natural key, the field and what to do. Nothing is kept: the objects are
   checked with the model's own validation, then written in bulk inside a
   transaction that is rolled back, so the database's constraints have their say
   (one object at a time only when a bulk write is refused, to name the object).
2. plan: for each object, created / changed (which fields, with a word diff of
   text) / unchanged. Fields a file leaves out keep their value in the bank.
3. apply: in one transaction, re-validated, with normal saves (the search index
   follows through its signals). Units not in the bank arrive as drafts; units in
   the bank keep their publication state: a file cannot publish (a file that
   carries `published_at` is refused, so that nobody believes it did).

The database work is constant in the number of objects for validation and plan
(existing objects are fetched in bulk); applying saves each object.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .errors import DomainError
from .languages import LANGUAGES
from .models import (
    ContentImport,
    LearningOutcome,
    ModelAnswer,
    Qualification,
    Reading,
    Unit,
    UnitIntroduction,
)
from .text import word_diff

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # all the files of one upload together
MAX_OBJECTS = 5_000  # objects in one upload: loading saves each, in one transaction
MAX_PROBLEMS_SHOWN = 100  # the first ones, then how many more


class ImportRefused(DomainError):
    """The files have problems, or the import was already loaded or discarded."""

    code = "import_refused"
    status = 400

    def __init__(self, message: str, problems: list[Problem] | None = None, **details):
        super().__init__(message, **details)
        self.problems = problems or []


class PlanChanged(DomainError):
    """The bank changed between the preview and the confirmation."""

    code = "plan_changed"

    def __init__(self, message: str, plan: Plan):
        super().__init__(message)
        self.plan = plan


# --- What may be imported -------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """How one content model is named in a fixture: its label, the fields that make
    its natural key, and its references to other content by natural key."""

    label: str
    model: type[models.Model]
    key: tuple[str, ...]  # the fields, in natural-key order; a reference counts as its key
    refs: dict[str, str] = field(default_factory=dict)  # fk field -> target label
    many: dict[str, str] = field(default_factory=dict)  # m2m field -> target label

    @property
    def kind(self) -> str:
        return str(self.model._meta.verbose_name)

    def field_names(self) -> list[str]:
        names = [
            f.name
            for f in self.model._meta.concrete_fields
            if f.editable and not f.primary_key and not f.generated
        ]
        return names + list(self.many)


SPECS = {
    spec.label: spec
    for spec in [
        Spec("units.unit", Unit, ("code",)),
        Spec(
            "units.learningoutcome", LearningOutcome, ("unit", "code"), refs={"unit": "units.unit"}
        ),
        Spec(
            "units.modelanswer",
            ModelAnswer,
            ("learning_outcome", "language"),
            refs={"learning_outcome": "units.learningoutcome"},
        ),
        Spec(
            "units.unitintroduction",
            UnitIntroduction,
            ("unit", "language"),
            refs={"unit": "units.unit"},
        ),
        Spec("units.reading", Reading, ("slug",), many={"units": "units.unit"}),
        Spec("units.qualification", Qualification, ("slug",), many={"units": "units.unit"}),
    ]
}
# Saved in this order: whatever a model names comes before it.
LOAD_ORDER = [
    "units.unit",
    "units.learningoutcome",
    "units.modelanswer",
    "units.unitintroduction",
    "units.reading",
    "units.qualification",
]
KEY_LENGTH = {"units.unit": 1, "units.learningoutcome": 2}
EXAMPLE_KEY = {"units.unit": '["F3"]', "units.learningoutcome": '["F3", "3.1"]'}


def describe(label: str, key: tuple | None, position: int | None = None) -> str:
    """An object as a reader names it: "unit F3", "model answer F3 3.1 ko"."""
    kind = SPECS[label].kind
    if key is None:
        # Translators: an object without a usable key, e.g. "the unit at item 3".
        return _("the %(kind)s at item %(position)s") % {"kind": kind, "position": position}
    # Translators: an object and its natural key, e.g. "assessment criterion F3 3.1".
    return _("%(kind)s %(key)s") % {"kind": kind, "key": " ".join(map(str, key))}


def content_kinds() -> str:
    return get_text_list(
        [str(SPECS[label].model._meta.verbose_name_plural) for label in LOAD_ORDER], _("and")
    )


# --- Problems -----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    message: str

    def __str__(self) -> str:
        # Translators: a problem in an uploaded file: "unit-f3.json: unit F3, field …".
        return _("%(file)s: %(message)s") % {"file": self.file, "message": self.message}


def too_large(name: str, size: int) -> Problem | None:
    """A file over the limit, known from its size alone (it is never read)."""
    if size <= MAX_FILE_BYTES:
        return None
    return Problem(
        name,
        _(
            "The file is %(size)s, more than the limit of %(limit)s for one file. "
            "Split it into smaller files (one unit per file, say) and upload them together."
        )
        % {"size": filesizeformat(size), "limit": filesizeformat(MAX_FILE_BYTES)},
    )


def too_much(name: str, total: int) -> Problem | None:
    """A file that takes an upload over its limit, known from the sizes alone."""
    if total <= MAX_UPLOAD_BYTES:
        return None
    return Problem(
        name,
        _(
            "With this file the upload is more than %(limit)s in all. Upload it, and the "
            "files after it, in another go."
        )
        % {"limit": filesizeformat(MAX_UPLOAD_BYTES)},
    )


def decode(name: str, data: bytes) -> tuple[str | None, Problem | None]:
    """The file's text, or the problem that stops it being read as UTF-8."""
    problem = too_large(name, len(data))
    if problem:
        return None, problem
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, Problem(
            name,
            _(
                "The file is not UTF-8 text: line %(line)s has bytes that are not UTF-8 "
                "(it may have been saved in an older encoding such as Windows-1252, GBK or "
                "EUC-KR). Save it as UTF-8 and try again."
            )
            % {"line": line},
        )


# The json module's reasons, in plain words.
def _json_reason(msg: str) -> str:
    reasons = {
        "Expecting ',' delimiter": _(
            "a comma is missing between two items (or the file stops too early)"
        ),
        "Expecting ':' delimiter": _("a colon is missing after a field name"),
        "Expecting value": _("a value is missing, or the text stops too early"),
        "Expecting property name enclosed in double quotes": _(
            "a field name must be in double quotes (or there is a comma too many before a "
            "closing bracket)"
        ),
        "Unterminated string starting at": _("a text is not closed with a double quote"),
        "Invalid control character at": _(
            "a text holds a line break or tab; write it as \\n or \\t"
        ),
        "Extra data": _("there is more text after the end of the list"),
    }
    for start, reason in reasons.items():
        if msg.startswith(start):
            return reason
    return msg


# A fixture is a list of objects whose fields hold lists of keys: five levels.
MAX_DEPTH = 10


def _depth(data) -> int:
    """How deeply lists and objects nest in parsed JSON, counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            stack.extend((child, depth + 1) for child in value)
    return deepest


def too_many_objects(parsed: list[tuple[str, list]]) -> Problem | None:
    """The file that takes the upload over MAX_OBJECTS, as a problem."""
    total = sum(len(data) for _name, data in parsed)
    running = 0
    for name, data in parsed:
        running += len(data)
        if running > MAX_OBJECTS:
            return Problem(
                name,
                _(
                    "With this file the upload holds %(count)s objects in all, more than the "
                    "limit of %(limit)s for one import. Import the files in several goes (a "
                    "few units at a time)."
                )
                % {"count": total, "limit": MAX_OBJECTS},
            )
    return None


def too_deep_message() -> str:
    return _(
        "The file is nested too deeply to be a fixture: it has lists or objects inside one "
        "another more than %(limit)s levels deep, where a fixture needs five at most (the "
        "list, each object, its fields, a list of units, each unit's key). Check that it is "
        "the file you meant to upload."
    ) % {"limit": MAX_DEPTH}


def _parse(name: str, text: str) -> tuple[list | None, list[Problem]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [
            Problem(
                name,
                _(
                    "The file is not valid JSON: at line %(line)s, column %(column)s "
                    "%(reason)s. Correct the file there (a JSON editor or validator shows "
                    "the spot) and try again."
                )
                % {"line": exc.lineno, "column": exc.colno, "reason": _json_reason(exc.msg)},
            )
        ]
    except RecursionError:
        return None, [Problem(name, too_deep_message())]
    if _depth(data) > MAX_DEPTH:
        # Parsed, but deep enough that reading its values (repr, str) could still recurse.
        return None, [Problem(name, too_deep_message())]
    if not isinstance(data, list):
        return None, [
            Problem(
                name,
                _(
                    "The file must hold a list of objects in square brackets, [ {…}, {…} ], "
                    "each with a “model” and its “fields”, as dumpdata writes them."
                ),
            )
        ]
    if not data:
        return None, [Problem(name, _("The file is an empty list: it holds nothing to import."))]
    return data, []


# --- Items: the objects of the files, before they meet the bank -------------------------


@dataclass(eq=False)
class Item:
    file: str
    position: int
    spec: Spec
    raw: dict
    key: tuple | None = None
    refs: dict[str, tuple] = field(default_factory=dict)
    many: dict[str, list[tuple]] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)  # python values of plain fields
    broken: bool = False
    existing: models.Model | None = None
    instance: models.Model | None = None
    changes: list[Change] = field(default_factory=list)
    # What its references name: an Item of the upload or an object of the bank.
    targets: dict[str, Any] = field(default_factory=dict)
    many_targets: dict[str, list] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def name(self) -> str:
        return describe(self.label, self.key, self.position)

    @property
    def action(self) -> str:
        if self.existing is None:
            return "created"
        return "changed" if self.changes else "unchanged"


@dataclass
class Change:
    field: str  # the human name
    old: str
    new: str
    diff: Any = None  # a units.text.WordDiff for text
    language: str = ""  # the BCP 47 tag of the text, for the page's lang attribute


@dataclass
class Plan:
    files: list[tuple[str, str]]
    problems: list[Problem]
    items: list[Item]
    # The codes of the published units whose content would change: live once confirmed.
    live: list[str] = field(default_factory=list)
    # (name, text, bytes as uploaded), when the files came as bytes: the log hashes those.
    uploaded: list[tuple[str, str, bytes]] = field(default_factory=list)

    def files_to_stage(self) -> list[tuple]:
        """What ContentImport.objects.stage keeps: the texts, with their bytes if known."""
        return self.uploaded or self.files

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for item in self.items:
            row = counts.setdefault(item.label, {"created": 0, "changed": 0, "unchanged": 0})
            row[item.action] += 1
        return {label: counts[label] for label in LOAD_ORDER if label in counts}

    def summary_rows(self) -> list[dict]:
        """For pages and the command: each model's plural name and its counts."""
        return [
            {"label": label, "name": SPECS[label].model._meta.verbose_name_plural, **row}
            for label, row in self.counts().items()
        ]

    def by_action(self, action: str) -> list[Item]:
        return [item for item in self.items if item.action == action]

    def fingerprint(self) -> str:
        """Changes when what confirming would do changes (the bank moved under the preview)."""
        rows = [
            [item.label, list(item.key or ()), item.action]
            + [[c.field, c.old, c.new] for c in item.changes]
            for item in self.items
        ]
        return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()


def _key_of_ref(value, target: str) -> tuple | None:
    """A natural-key reference (["F3"] or ["F3", "3.1"]) as a tuple, or None if malformed."""
    length = KEY_LENGTH[target]
    if isinstance(value, str) and length == 1:
        value = [value]
    if (
        isinstance(value, list)
        and len(value) == length
        and all(isinstance(part, str) and part for part in value)
    ):
        return tuple(value)
    return None


def _read_items(name: str, data: list, problems: list[Problem]) -> list[Item]:
    items = []
    for position, raw in enumerate(data, start=1):
        if not (isinstance(raw, dict) and isinstance(raw.get("fields"), dict) and raw.get("model")):
            problems.append(
                Problem(
                    name,
                    _(
                        "Item %(position)s is not an object with a “model” and its “fields”. "
                        'Each item looks like {"model": "units.unit", "fields": {…}}.'
                    )
                    % {"position": position},
                )
            )
            continue
        label = str(raw["model"]).lower()
        spec = SPECS.get(label)
        if spec is None:
            problems.append(
                Problem(
                    name,
                    _(
                        "Item %(position)s (“%(model)s”) cannot be imported here: "
                        "only %(kinds)s can (%(labels)s). Remove it from the file."
                    )
                    % {
                        "position": position,
                        "model": raw["model"],
                        "kinds": content_kinds(),
                        "labels": ", ".join(LOAD_ORDER),
                    },
                )
            )
            continue
        item = Item(name, position, spec, raw)
        _read_item(item, problems)
        items.append(item)
    return items


def field_label(model, field_name: str) -> str:
    """A field by its human name, and by the name a file uses when that differs:
    “slug”, “Ofqual reference” (ofqual_ref)."""
    label = str(model._meta.get_field(field_name).verbose_name)
    if label == field_name.replace("_", " "):
        # Translators: a field of a unit, criterion … in a file, e.g. field “slug”.
        return _("field “%(label)s”") % {"label": label}
    # Translators: a field by its name in the app and in the file, e.g. field “credit” (credits).
    return _("field “%(label)s” (%(name)s)") % {"label": label, "name": field_name}


def _field_problem(item: Item, field_name: str, message: str) -> Problem:
    # Translators: e.g. "unit F3, field “slug”: This field cannot be blank. Correct it in the file."
    return Problem(
        item.file,
        _("%(object)s, %(field)s: %(message)s Correct it in the file.")
        % {
            "object": item.name,
            "field": field_label(item.spec.model, field_name),
            "message": message,
        },
    )


def _read_item(item: Item, problems: list[Problem]) -> None:
    """The item's natural key, references and values, with the problems of its shape."""
    spec, fields = item.spec, item.raw["fields"]
    # The key first, so that every problem names the object.
    key = []
    for part in spec.key:
        value = fields.get(part)
        if part in spec.refs:
            ref = _key_of_ref(value, spec.refs[part])
            key.extend(ref or [None] * KEY_LENGTH[spec.refs[part]])
        else:
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            elif value is not None and not isinstance(value, str):
                problems.append(_field_problem(item, part, _("Write it as text in quotes.")))
                value = None
            key.append(value if isinstance(value, str) and value else None)
    item.key = tuple(key) if all(key) else None
    if item.key is None:
        item.broken = True  # the model's validation names the missing value

    for extra in sorted(set(item.raw) - {"model", "fields"}):
        if extra == "pk":
            message = _(
                "Remove “pk”: objects are matched on their natural keys (a unit by its code, "
                "a criterion by its unit and code), never by database ids."
            )
        else:
            message = _("Remove “%(key)s”: an item has only “model” and “fields”.") % {"key": extra}
        item.broken = True
        problems.append(
            Problem(
                item.file, _("%(object)s: %(message)s") % {"object": item.name, "message": message}
            )
        )

    known = spec.field_names()
    for name in fields:
        if name in known:
            continue
        item.broken = True
        if spec.model is Unit and name == "published_at":
            message = _(
                "Remove “published_at”: a file cannot publish a unit. New units arrive as "
                "drafts and units in the bank keep their state; publish in the admin."
            )
        else:
            message = _(
                "There is no field “%(field)s”. Remove it or correct its name; the fields "
                "are: %(fields)s."
            ) % {"field": name, "fields": ", ".join(known)}
        problems.append(
            Problem(
                item.file, _("%(object)s: %(message)s") % {"object": item.name, "message": message}
            )
        )

    for name, target in spec.refs.items():
        if name not in fields:
            continue  # reported by the model's validation as a missing value
        ref = _key_of_ref(fields[name], target)
        if ref is None:
            item.broken = True
            problems.append(
                _field_problem(
                    item,
                    name,
                    _("Name the %(target)s by its natural key, such as %(example)s.")
                    % {"target": SPECS[target].kind, "example": EXAMPLE_KEY[target]},
                )
            )
        else:
            item.refs[name] = ref
    for name, target in spec.many.items():
        if name not in fields:
            continue
        value = fields[name]
        refs = [_key_of_ref(v, target) for v in value] if isinstance(value, list) else [None]
        if None in refs:
            item.broken = True
            problems.append(
                _field_problem(
                    item,
                    name,
                    _("Give a list of %(target)s, each by its natural key, such as [%(example)s].")
                    % {
                        "target": SPECS[target].model._meta.verbose_name_plural,
                        "example": EXAMPLE_KEY[target],
                    },
                )
            )
        else:
            item.many[name] = list(dict.fromkeys(refs))

    for name, value in fields.items():
        if name not in known or name in spec.refs or name in spec.many:
            continue
        model_field = spec.model._meta.get_field(name)
        try:
            item.values[name] = model_field.to_python(value)
        except ValidationError as exc:
            item.broken = True
            problems.append(_field_problem(item, name, " ".join(exc.messages)))
        if name == "language" and isinstance(value, str) and value not in LANGUAGES:
            item.broken = True
            problems.append(
                _field_problem(
                    item,
                    name,
                    _("“%(language)s” is not a language the app lists. Use one of: %(codes)s.")
                    % {"language": value, "codes": ", ".join(LANGUAGES)},
                )
            )


# --- The bank: existing objects, fetched in bulk ------------------------------------------


class Bank:
    """The objects the items name, fetched with a few queries whatever their number."""

    def __init__(self, items: list[Item], *, lock: bool = False):
        codes = set()
        slugs = {"units.reading": set(), "units.qualification": set()}
        unit_slugs = set()
        for item in items:
            if item.key is None:
                continue
            if item.label == "units.unit":
                codes.add(item.key[0])
                if isinstance(item.values.get("slug"), str):
                    unit_slugs.add(item.values["slug"])
            elif item.label in slugs:
                slugs[item.label].add(item.key[0])
            else:
                codes.add(item.key[0])
            for ref in item.many.get("units", []):
                codes.add(ref[0])
        self.units: dict[tuple, Unit] = {}
        self.unit_by_slug: dict[str, Unit] = {}
        if codes or unit_slugs:
            units = Unit.objects.filter(Q(code__in=codes) | Q(slug__in=unit_slugs))
            if lock:
                # Loading: no publish or unpublish of these units until the loading commits.
                units = units.select_for_update()
            for unit in units:
                self.unit_by_slug[unit.slug] = unit
                if unit.code in codes:
                    self.units[(unit.code,)] = unit
        known = [code for (code,) in self.units]
        self.objects: dict[str, dict[tuple, models.Model]] = {"units.unit": self.units}
        labels = {item.label for item in items}
        self.objects["units.learningoutcome"] = (
            {
                (c.unit.code, c.code): c
                for c in LearningOutcome.objects.filter(unit__code__in=known).select_related("unit")
            }
            if known and labels & {"units.learningoutcome", "units.modelanswer"}
            else {}
        )
        self.objects["units.modelanswer"] = (
            {
                (a.learning_outcome.unit.code, a.learning_outcome.code, a.language): a
                for a in ModelAnswer.objects.filter(
                    learning_outcome__unit__code__in=known
                ).select_related("learning_outcome__unit")
            }
            if known and "units.modelanswer" in labels
            else {}
        )
        self.objects["units.unitintroduction"] = (
            {
                (i.unit.code, i.language): i
                for i in UnitIntroduction.objects.filter(unit__code__in=known).select_related(
                    "unit"
                )
            }
            if known and "units.unitintroduction" in labels
            else {}
        )
        for label, model in [("units.reading", Reading), ("units.qualification", Qualification)]:
            self.objects[label] = (
                {
                    (obj.slug,): obj
                    for obj in model.objects.filter(slug__in=slugs[label]).prefetch_related(
                        models.Prefetch("units", queryset=Unit.objects.only("id", "code"))
                    )
                }
                if slugs[label]
                else {}
            )


# --- Validation and the plan --------------------------------------------------------


def plan_import(
    files: list[tuple[str, str]], problems: list[Problem] | None = None, *, lock: bool = False
) -> Plan:
    """Check decoded files (name, text) against the bank; keep nothing. With lock (when
    loading, in a transaction), the rows of the units the files name are locked."""
    problems = list(problems or [])
    parsed = []
    for name, text in files:
        data, found = _parse(name, text)
        problems.extend(found)
        if data is not None:
            parsed.append((name, data))
    over = too_many_objects(parsed)
    if over:
        # Refused before anything is read or written: one transaction of tens of
        # thousands of saves would hold the database for minutes.
        return Plan(files=files, problems=[*problems, over], items=[])
    items: list[Item] = []
    for name, data in parsed:
        items.extend(_read_items(name, data, problems))

    first: dict[tuple, Item] = {}
    for item in items:
        if item.key is None:
            continue
        seen = first.setdefault((item.label, item.key), item)
        if seen is not item:
            item.broken = True
            problems.append(
                Problem(
                    item.file,
                    _(
                        "%(object)s is here twice: as item %(first_position)s of %(first_file)s "
                        "and as item %(position)s of %(file)s. Keep one of them."
                    )
                    % {
                        "object": item.name,
                        "first_position": seen.position,
                        "first_file": seen.file,
                        "position": item.position,
                        "file": item.file,
                    },
                )
            )
    items = [item for item in items if item.key is None or first[(item.label, item.key)] is item]

    bank = Bank(items, lock=lock)
    uploaded = {(item.label, item.key): item for item in items if item.key is not None}
    _check_unit_slugs(items, bank, problems)
    for label in LOAD_ORDER:
        for item in items:
            if item.label == label:
                _build(item, bank, uploaded, problems)
    published = _published_units(items, bank)
    if items:
        _trial(items, problems, published)
    order = {label: n for n, label in enumerate(LOAD_ORDER)}
    items.sort(key=lambda item: order[item.label])
    # Each file's problems together, in the order the files came.
    file_order = {name: n for n, (name, _text) in enumerate(files)}
    problems.sort(key=lambda problem: file_order.get(problem.file, len(file_order)))
    return Plan(files=files, problems=problems, items=items, live=sorted(published))


UNIT_CONTENT = (
    "units.unit",
    "units.learningoutcome",
    "units.modelanswer",
    "units.unitintroduction",
)


def _published_units(items: list[Item], bank: Bank) -> dict[str, tuple[Unit, str]]:
    """The published units whose content the files create or change (the unit, its
    criteria, model answers, introductions): code -> (unit, the first file touching it)."""
    published: dict[str, tuple[Unit, str]] = {}
    for item in items:
        if item.label not in UNIT_CONTENT or item.key is None or item.action == "unchanged":
            continue
        unit = bank.units.get((item.key[0],))
        if unit is not None and unit.is_published:
            published.setdefault(unit.code, (unit, item.file))
    return published


def _publication_problems(published: dict[str, tuple[Unit, str]], problems: list[Problem]) -> None:
    """After the trial write: a published unit the files would leave incomplete (a
    criterion missing between two others…) is a problem, for it would be live so."""
    for code, (unit, file) in sorted(published.items()):
        found = unit.publication_problems()
        if found:
            problems.append(
                Problem(
                    file,
                    _(
                        "unit %(code)s is published, and after this import: %(problems)s "
                        "Unpublish it first, or correct the file."
                    )
                    % {"code": code, "problems": " ".join(found)},
                )
            )


def _check_unit_slugs(items: list[Item], bank: Bank, problems: list[Problem]) -> None:
    """A unit's slug is its address: another unit (in the bank or the files) must not have it."""
    by_slug: dict[str, Item] = {}
    for item in items:
        if item.label != "units.unit" or item.key is None:
            continue
        slug = item.values.get("slug")
        if not slug:
            continue
        other = bank.unit_by_slug.get(slug)
        clash = None
        if other is not None and other.code != item.key[0]:
            clash = other.code
        elif slug in by_slug:
            clash = by_slug[slug].key[0]
        by_slug.setdefault(slug, item)
        if clash:
            item.broken = True
            problems.append(
                _field_problem(
                    item,
                    "slug",
                    _(
                        "“%(slug)s” is already the address of unit %(other)s, a different unit. "
                        "Give this unit another slug, or use the code %(other)s if it is the "
                        "same unit."
                    )
                    % {"slug": slug, "other": clash},
                )
            )


def _resolve(ref: tuple, target: str, bank: Bank, uploaded: dict) -> tuple[Any, bool]:
    """(the Item or bank object a reference names, whether it is broken) or (None, False)."""
    item = uploaded.get((target, ref))
    if item is not None:
        return item, item.broken
    obj = bank.objects[target].get(ref)
    return obj, False


def _missing(item: Item, target: str, ref: tuple) -> Problem:
    if target == "units.unit":
        message = _(
            "Its unit %(unit)s is neither in the uploaded files nor in the bank. Add unit "
            "%(unit)s to the upload (in any file, in any order) or correct the unit code."
        ) % {"unit": ref[0]}
    else:
        message = _(
            "Its criterion %(unit)s %(code)s is neither in the uploaded files nor in the bank. "
            "Add criterion %(code)s of unit %(unit)s to the upload or correct the reference."
        ) % {"unit": ref[0], "code": ref[1]}
    return Problem(
        item.file, _("%(object)s: %(message)s") % {"object": item.name, "message": message}
    )


def _display(value) -> str:
    if value is None:
        return ""
    return str(value)


def _build(item: Item, bank: Bank, uploaded: dict, problems: list[Problem]) -> None:
    """Make the object the item describes (the bank's, updated, or a new one), check it
    with the model's validation, and list what changes."""
    spec = item.spec
    existing = bank.objects[item.label].get(item.key) if item.key else None
    item.existing = existing
    instance = copy.copy(existing) if existing is not None else spec.model()
    for name, value in item.values.items():
        setattr(instance, spec.model._meta.get_field(name).attname, value)
    excluded = set(spec.refs) | set(spec.many)
    if "language" in item.values and item.values["language"] not in LANGUAGES:
        excluded.add("language")  # said above in plain words
    target_broken = False
    for name, target in spec.refs.items():
        ref = item.refs.get(name)
        if ref is None:
            if name not in item.raw["fields"]:
                item.broken = True
                problems.append(
                    _field_problem(
                        item,
                        name,
                        _("It is missing: every %(kind)s names its %(target)s.")
                        % {"kind": spec.kind, "target": SPECS[target].kind},
                    )
                )
            continue
        found, broken = _resolve(ref, target, bank, uploaded)
        if found is None:
            item.broken = True
            problems.append(_missing(item, target, ref))
        item.targets[name] = found
        target_broken |= broken
    for name, target in spec.many.items():
        if name not in item.many:
            continue
        item.many_targets[name] = []
        for ref in item.many[name]:
            found, broken = _resolve(ref, target, bank, uploaded)
            if found is None:
                item.broken = True
                problems.append(_missing(item, target, ref))
            item.many_targets[name].append(found)
            target_broken |= broken
    if target_broken:
        item.broken = True  # its target's problem is reported; this one cannot be saved
    try:
        instance.clean_fields(exclude=excluded)
        instance.clean()
    except ValidationError as exc:
        item.broken = True
        for name, messages in exc.message_dict.items():
            if name in ("__all__", None):
                problems.append(
                    Problem(
                        item.file,
                        _("%(object)s: %(message)s")
                        % {"object": item.name, "message": " ".join(messages)},
                    )
                )
            else:
                problems.append(_field_problem(item, name, " ".join(messages)))
    item.instance = instance
    if existing is not None:
        item.changes = _changes(item, existing, instance)


# Content written in English: the assessed wording of units and criteria.
_ENGLISH_FIELDS = {"title", "description", "qualification", "group", "outcome", "question"}


def _text_language(instance, name: str) -> str:
    """The language a field's text is in: the object's own for a model answer's,
    introduction's or reading's text, English for a unit's or criterion's wording."""
    language = getattr(instance, "language", None)
    if language and name in {"body", "question", "title"}:
        return language
    if name == "title_en" or (language is None and name in _ENGLISH_FIELDS):
        return "en"
    return ""


def _changes(item: Item, existing, instance) -> list[Change]:
    changes = []
    for name in item.values:
        model_field = item.spec.model._meta.get_field(name)
        old, new = getattr(existing, model_field.attname), getattr(instance, model_field.attname)
        if old == new:
            continue
        diff = None
        if isinstance(model_field, models.TextField | models.CharField):
            diff = word_diff(old or "", new or "")
        changes.append(
            Change(
                str(model_field.verbose_name),
                _display(old),
                _display(new),
                diff,
                _text_language(instance, name),
            )
        )
    for name in item.many:
        old_codes = sorted(unit.code for unit in getattr(existing, name).all())
        new_codes = sorted(ref[0] for ref in item.many[name])
        if old_codes != new_codes:
            model_field = item.spec.model._meta.get_field(name)
            changes.append(
                Change(str(model_field.verbose_name), ", ".join(old_codes), ", ".join(new_codes))
            )
    return changes


def _trial(items: list[Item], problems: list[Problem], published: dict) -> None:
    """Let the database's constraints see every object: write them in bulk inside a
    transaction that is rolled back (a few statements, whatever the number of
    objects). Only if the database refuses something is it done again carefully:
    each model in a savepoint, and a refused model's objects one at a time, to
    name the objects refused. When all is well, the published units the files touch
    are checked as they would be after loading."""
    clean = not problems
    try:
        with transaction.atomic():
            _trial_writes(items, problems, careful=False)
            if clean and not problems:
                _publication_problems(published, problems)
            transaction.set_rollback(True)
        return
    except (DatabaseError, ValueError):  # psycopg refuses NUL with ValueError
        pass
    with transaction.atomic():
        _trial_writes(items, problems, careful=True)
        transaction.set_rollback(True)


def _trial_writes(items: list[Item], problems: list[Problem], *, careful: bool) -> None:
    copies: dict[Item, models.Model] = {}

    def target_pk(found):
        if isinstance(found, Item):
            if found in copies:
                return copies[found].pk
            return found.existing.pk if found.existing is not None else None
        return found.pk if found is not None else None

    for label in LOAD_ORDER:
        batch = []
        for item in items:
            if item.label != label or item.broken or item.action == "unchanged":
                continue
            twin = copy.copy(item.instance)
            for name in item.spec.refs:
                setattr(
                    twin,
                    item.spec.model._meta.get_field(name).attname,
                    target_pk(item.targets.get(name)),
                )
            if all(getattr(twin, f"{name}_id") for name in item.spec.refs):
                batch.append((item, twin))
        if not batch:
            continue
        if not careful:
            _write(batch)
        else:
            try:
                with transaction.atomic():
                    _write(batch)
            except (DatabaseError, ValueError):
                for item, twin in batch:
                    try:
                        with transaction.atomic():
                            _write([(item, twin)])
                    except (DatabaseError, ValueError) as exc:
                        item.broken = True
                        problems.append(_refused(item, exc))
        for item, twin in batch:
            if not item.broken:
                copies[item] = twin


def _refused(item: Item, exc: Exception) -> Problem:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Problem(
        item.file,
        _("%(object)s: the database refuses it (%(error)s). Correct the object in the file.")
        % {"object": item.name, "error": detail},
    )


def _write(batch: list[tuple[Item, models.Model]]) -> None:
    new = [twin for item, twin in batch if item.existing is None]
    changed = [(item, twin) for item, twin in batch if item.existing is not None]
    if new:
        model = type(new[0])
        model.objects.bulk_create(new)
    if changed:
        model = type(changed[0][1])
        names = sorted({name for item, _twin in changed for name in item.values if name != "id"})
        if names:
            model.objects.bulk_update([twin for _item, twin in changed], names)


def validate_files(files: list[tuple[str, bytes]], problems: list[Problem] | None = None) -> Plan:
    """Check raw uploads (name, bytes): size, encoding, then everything plan_import checks."""
    problems = list(problems or [])
    texts, uploaded = [], []
    for name, data in files:
        text, problem = decode(name, data)
        if problem:
            problems.append(problem)
        else:
            texts.append((name, text))
            uploaded.append((name, text, data))
    plan = plan_import(texts, problems)
    plan.uploaded = uploaded
    file_order = {name: n for n, (name, _data) in enumerate(files)}
    plan.problems.sort(key=lambda problem: file_order.get(problem.file, len(file_order)))
    return plan


# --- Loading ----------------------------------------------------------------------------


def _target(found):
    return found.instance if isinstance(found, Item) else found


def _save(plan: Plan) -> None:
    """Save every created or changed object normally (its signals index it for
    search), in LOAD_ORDER so that what an object names is saved before it."""
    for item in plan.items:
        if item.action == "unchanged":
            continue
        instance = item.instance
        for name, found in item.targets.items():
            setattr(instance, name, _target(found))
        if item.action == "created":
            instance.save()
        elif item.values:
            instance.save(update_fields=list(item.values))
        for name, found in item.many_targets.items():
            getattr(instance, name).set([_target(target) for target in found])


def content_import_apply(*, content_import: ContentImport, fingerprint: str | None = None) -> Plan:
    """Load a staged import in one transaction, checked again against the bank as it is
    now. Refused if it was loaded or discarded already (a second confirm), if there are
    problems, or if the plan differs from the one previewed (fingerprint)."""
    with transaction.atomic():
        locked = ContentImport.objects.select_for_update().get(pk=content_import.pk)
        if locked.state != ContentImport.State.STAGED:
            raise ImportRefused(already_message(locked))
        plan = plan_import([(f["name"], f["text"]) for f in locked.files], lock=True)
        if not plan.ok:
            raise ImportRefused(
                _("The files have problems now; nothing was loaded."), problems=plan.problems
            )
        if fingerprint is not None and fingerprint != plan.fingerprint():
            raise PlanChanged(
                _(
                    "The bank has changed since the preview was made, so this is the new "
                    "preview. Read it and confirm again."
                ),
                plan,
            )
        _save(plan)
        locked.state = ContentImport.State.APPLIED
        locked.applied_at = timezone.now()
        locked.summary = plan.counts()
        locked.save(update_fields=["state", "applied_at", "summary"])
    content_import.refresh_from_db()
    return plan


def content_import_discard(*, content_import: ContentImport) -> None:
    with transaction.atomic():
        locked = ContentImport.objects.select_for_update().get(pk=content_import.pk)
        if locked.state != ContentImport.State.STAGED:
            raise ImportRefused(already_message(locked))
        locked.state = ContentImport.State.DISCARDED
        locked.save(update_fields=["state"])


def already_message(content_import: ContentImport) -> str:
    if content_import.state == ContentImport.State.APPLIED:
        return _("This import was already loaded; it is not loaded again.")
    return _("This import was discarded; upload the files again to load them.")


def units_publish(units: list[Unit]) -> tuple[list[Unit], dict[Unit, list[str]]]:
    """Publish the drafts among units that are complete (Unit.publish); the others
    stay drafts, returned with what stops them."""
    published, refused = [], {}
    for unit in units:
        if unit.is_published:
            continue
        problems = unit.publish()
        if problems:
            refused[unit] = problems
        else:
            published.append(unit)
    return published, refused


def model_name(label: str) -> str:
    """ "units.unit" as readers name it: "units"."""
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural)
    except (LookupError, ValueError):
        return label


def count_sentence(row: dict) -> str:
    """“units: 1 created, 0 changed, 2 unchanged” (a count not given is 0)."""
    return _("%(name)s: %(created)s created, %(changed)s changed, %(unchanged)s unchanged") % {
        "created": 0,
        "changed": 0,
        "unchanged": 0,
        **row,
    }


def problems_shown(problems: list[Problem]) -> list:
    """The first MAX_PROBLEMS_SHOWN problems, then a sentence saying how many more."""
    if len(problems) <= MAX_PROBLEMS_SHOWN:
        return list(problems)
    more = len(problems) - MAX_PROBLEMS_SHOWN
    return [
        *problems[:MAX_PROBLEMS_SHOWN],
        ngettext(
            "… and %(count)s more problem: correct these first, then check the files again.",
            "… and %(count)s more problems: correct these first, then check the files again.",
            more,
        )
        % {"count": more},
    ]


def problems_sentence(problems: int) -> str:
    return ngettext(
        "%(count)s problem found; nothing was loaded.",
        "%(count)s problems found; nothing was loaded.",
        problems,
    ) % {"count": problems}


def read_paths(paths) -> tuple[list[tuple[str, bytes]], list[Problem]]:
    """Files named on a command line, as (name, bytes), with the problems of those that
    cannot be read (missing, too large: never read whole)."""
    files, problems = [], []
    for path in paths:
        name = str(path)
        try:
            problem = too_large(name, path.stat().st_size)
            if problem is None:
                files.append((name, path.read_bytes()))
        except FileNotFoundError:
            problem = Problem(name, _("There is no such file. Check the name and the folder."))
        except IsADirectoryError:
            problem = Problem(name, _("This is a folder, not a file. Name the files in it."))
        if problem:
            problems.append(problem)
    return files, problems
