"""Enrolling candidates on units: one function per action, one transaction each,
and the CSV of usernames and unit codes an admin uploads (read, then applied).

Who can be enrolled is one rule, `sort_people`: an active account holding the
Candidate role (the permission to draft answers; a superuser is never a
candidate), and, when the person enrolling is not a superuser, someone they may
manage (units.admin.may_manage). Unenrolling deletes the enrolment only: the
candidate's answers stay, and come back if they are enrolled again.

A CSV only enrols. A row never unenrols anyone: a spreadsheet kept and loaded
again must not take away what was given since (unenrolling is done in the admin,
where it is seen). The whole file is refused if any row has a problem.
"""

import csv
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .errors import Invalid
from .models import ContentImport, Enrolment, Qualification, Unit

# A bigger file is refused before it is read: a centre's list fits many times over.
MAX_CSV_BYTES = 1_000_000
MAX_CSV_ROWS = 10_000
# Sentences listed for one file; a file wrong on every row says so once, with a count.
MAX_PROBLEMS = 100

USERNAME, UNIT, QUALIFICATION = "username", "unit", "qualification"
COLUMNS = (USERNAME, UNIT, QUALIFICATION)

# Why someone cannot be enrolled (or unenrolled): the keys of SortedPeople.skipped.
NOT_CANDIDATE = "not_candidate"
INACTIVE = "inactive"
OUT_OF_REACH = "out_of_reach"


def left_out_sentence(reason: str, people: list) -> str:
    """The sentence naming the people left out for one reason, whole, so that it
    can be translated with its own grammar and plural."""
    count, names = len(people), ", ".join(person_label(person) for person in people)
    if reason == NOT_CANDIDATE:
        # Translators: followed by names, e.g. "Left out, as not candidates: Ann, Bo."
        sentence = ngettext(
            "Left out, as not a candidate (no Candidate role): %(names)s.",
            "Left out, as not candidates (no Candidate role): %(names)s.",
            count,
        )
    elif reason == INACTIVE:
        sentence = ngettext(
            "Left out, as the account is deactivated: %(names)s.",
            "Left out, as the accounts are deactivated: %(names)s.",
            count,
        )
    else:
        sentence = ngettext(
            "Left out, as only a superuser may manage this person: %(names)s.",
            "Left out, as only a superuser may manage these people: %(names)s.",
            count,
        )
    return sentence % {"names": names}


def cannot_enrol_sentence(reason: str, person) -> str:
    """Why one person cannot be enrolled, as a whole sentence."""
    sentence = {
        NOT_CANDIDATE: _("%(name)s is not a candidate (no Candidate role), so cannot be enrolled."),
        INACTIVE: _("%(name)s's account is deactivated, so they cannot be enrolled."),
        OUT_OF_REACH: _("Only a superuser may manage %(name)s, so you cannot enrol them."),
    }[reason]
    return sentence % {"name": person_label(person)}


def _number(n: int) -> str:
    return number_format(n, force_grouping=True)


# --- Who can be enrolled ------------------------------------------------------------


def person_label(person) -> str:
    """A person as lists of who is (not) enrolled name them: "Mina Park (mina)"."""
    name = person.get_full_name()
    return f"{name} ({person.username})" if name else person.username


def with_candidacy(people):
    """People annotated with `holds_candidate_role`, in the same query: the
    Candidate role's permission, held through a group or directly (as
    units.access.is_candidate reads it)."""
    draft = Permission.objects.filter(content_type__app_label="units", codename="draft_answer")
    held = draft.filter(Q(group__user=OuterRef("pk")) | Q(user=OuterRef("pk")))
    return people.annotate(holds_candidate_role=Exists(held))


def unmanageable(by, people) -> set[int]:
    """The ids of those among `people` whom `by` may not manage: the rule of
    units.admin.may_manage, for many people in one query."""
    if by is None or by.is_superuser:
        return set()
    # The rule lives with the people admin; imported here, when it is loaded.
    from .admin import grantable_permissions

    ids = [person.pk for person in people]
    held: dict[int, set[str]] = {pk: set() for pk in ids}
    direct = (
        Permission.objects.filter(user__in=ids)
        .order_by()
        .values_list("user", "content_type__app_label", "codename")
    )
    grouped = (
        Permission.objects.filter(group__user__in=ids)
        .order_by()
        .values_list("group__user", "content_type__app_label", "codename")
    )
    for pk, app, codename in direct.union(grouped, all=True):
        held[pk].add(f"{app}.{codename}")
    allowed = grantable_permissions(by)
    return {person.pk for person in people if person.is_superuser or not held[person.pk] <= allowed}


@dataclass
class SortedPeople:
    """Those who can be enrolled, and the others with the reason, to be named."""

    enrollable: list = field(default_factory=list)
    not_candidates: list = field(default_factory=list)
    inactive: list = field(default_factory=list)
    not_yours: list = field(default_factory=list)  # candidates only a superuser may manage
    # Everyone the person sorting may not manage, candidate or not: left out of
    # unenrolling too.
    out_of_reach: list = field(default_factory=list)

    @property
    def everyone(self) -> list:
        return self.enrollable + self.not_candidates + self.inactive + self.not_yours

    @property
    def unenrollable(self) -> list:
        """Whose enrolments may be ended: anyone within reach, a candidate or not (any more)."""
        return [person for person in self.everyone if person not in self.out_of_reach]

    @property
    def skipped(self) -> list[tuple[str, list]]:
        """(reason, people) for each reason someone cannot be enrolled (NOT_CANDIDATE …)."""
        reasons = [(NOT_CANDIDATE, self.not_candidates), (INACTIVE, self.inactive)]
        return [(reason, people) for reason, people in reasons if people] + self.unmanaged

    @property
    def unmanaged(self) -> list[tuple[str, list]]:
        """(reason, people) for candidates left out as out of reach."""
        return [(OUT_OF_REACH, self.not_yours)] if self.not_yours else []

    @property
    def left_out_of_unenrolling(self) -> list[tuple[str, list]]:
        return [(OUT_OF_REACH, self.out_of_reach)] if self.out_of_reach else []


def sort_people(people, *, by) -> SortedPeople:
    """Sort people (annotated by with_candidacy) into who can be enrolled and who not."""
    people = list(people)
    refused = unmanageable(by, people)
    sorted_people = SortedPeople()
    for person in people:
        if person.pk in refused:
            sorted_people.out_of_reach.append(person)
        if person.is_superuser or not person.holds_candidate_role:
            sorted_people.not_candidates.append(person)
        elif person.pk in refused:
            sorted_people.not_yours.append(person)
        elif not person.is_active:
            sorted_people.inactive.append(person)
        else:
            sorted_people.enrollable.append(person)
    return sorted_people


# --- Enrolling and unenrolling ------------------------------------------------------


@dataclass(frozen=True)
class Enrolled:
    created: int
    existing: int


def _pairs(candidates, units) -> set[tuple[int, int]]:
    return {(candidate.pk, unit.pk) for candidate in candidates for unit in units}


@transaction.atomic
def enrol(candidates, units, *, by) -> Enrolled:
    """Enrol each candidate on each unit; those already enrolled stay as they are.

    Refuses anyone who cannot be enrolled (see sort_people), naming them.
    """
    candidates, units = list(candidates), list(units)
    ids = [candidate.pk for candidate in candidates]
    people = sort_people(with_candidacy(get_user_model().objects.filter(pk__in=ids)), by=by)
    refused = [person for _reason, group in people.skipped for person in group]
    if refused:
        raise Invalid(
            _("These people cannot be enrolled: %(names)s.")
            % {"names": ", ".join(sorted(person.username for person in refused))}
        )
    wanted = _pairs(candidates, units)
    existing = set(
        Enrolment.objects.filter(candidate__in=ids, unit__in=units).values_list(
            "candidate_id", "unit_id"
        )
    )
    now = timezone.now()
    # ignore_conflicts: an enrolment made meanwhile by someone else is not an error.
    Enrolment.objects.bulk_create(
        [
            Enrolment(candidate_id=candidate, unit_id=unit, enrolled_at=now, enrolled_by=by)
            for candidate, unit in sorted(wanted - existing)
        ],
        ignore_conflicts=True,
    )
    return Enrolled(created=len(wanted - existing), existing=len(wanted & existing))


@transaction.atomic
def enrol_on_qualification(candidates, qualification: Qualification, *, by) -> Enrolled:
    """Enrol each candidate on every unit of the qualification."""
    return enrol(candidates, qualification.units.all(), by=by)


@transaction.atomic
def unenrol(candidates, units) -> int:
    """End the candidates' enrolments on the units; return how many ended.

    Their answers stay: enrolled again, they find their work as they left it.
    Whom the caller may unenrol is theirs to check (SortedPeople.unenrollable).
    """
    deleted, _by_model = Enrolment.objects.filter(
        candidate__in=[candidate.pk for candidate in candidates],
        unit__in=[unit.pk for unit in units],
    ).delete()
    return deleted


# --- The CSV ------------------------------------------------------------------------


@dataclass
class CsvPlan:
    """What a CSV would do: the problems (sentences), else the enrolments it
    creates and those that already exist."""

    name: str
    text: str = ""
    problems: list[str] = field(default_factory=list)
    create: list[tuple] = field(default_factory=list)  # (candidate, unit)
    existing: list[tuple] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.problems

    def by_candidate(self) -> list[dict]:
        """For the preview: each candidate with their new and existing units."""
        rows: dict[int, dict] = {}
        for key, pairs in (("new", self.create), ("existing", self.existing)):
            for candidate, unit in pairs:
                row = rows.setdefault(
                    candidate.pk,
                    {
                        "candidate": candidate,
                        "label": person_label(candidate),
                        "new": [],
                        "existing": [],
                    },
                )
                row[key].append(unit)
        return sorted(rows.values(), key=lambda row: row["candidate"].username)

    @property
    def draft_units(self) -> list:
        """Units enrolled on that candidates will see only once published."""
        return sorted({unit for _c, unit in self.create if not unit.is_published}, key=str)


class _Problems(list):
    """The sentences about one file, each starting with its name."""

    def __init__(self, name):
        super().__init__()
        self.name = name

    def file(self, message, **values):
        self.append(message % {"file": self.name, **values})

    def row(self, row, message, **values):
        self.append(message % {"file": self.name, "row": _number(row), **values})


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes, problems: _Problems) -> str | None:
    """The file's text (UTF-8, with or without the BOM Excel writes), or None
    with a sentence saying what the bytes look like instead."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        problems.file(
            _(
                "%(file)s is a spreadsheet workbook (such as .xlsx or .xls), not a CSV file. "
                "In Excel choose File › Save As › “CSV UTF-8 (Comma delimited)” and upload "
                "that file."
            )
        )
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:1000]:
        problems.file(
            _(
                "%(file)s is in UTF-16 (Excel's “Unicode Text”), not UTF-8. Save it as "
                "“CSV UTF-8 (Comma delimited)” and upload it again."
            )
        )
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problems.file(
            _(
                "%(file)s is not in UTF-8: the byte at position %(position)s (line %(line)s) "
                "is not valid UTF-8. It looks like an older encoding (such as Windows-1252, "
                "Latin-2, GBK or EUC-KR, depending on the computer), which Excel's plain "
                "“CSV” format uses. Save it as “CSV UTF-8 "
                "(Comma delimited)” (or choose UTF-8 when saving) and upload it again."
            ),
            position=_number(error.start + 1),
            line=_number(_line_of(data, error.start)),
        )
        return None
    if "\x00" in text:
        problems.file(
            _("%(file)s contains NUL characters: it is not a text file. Upload a CSV file.")
        )
        return None
    return text


def _delimiter(text: str) -> str:
    """Comma; or semicolon, which Excel writes where the decimal mark is a comma
    (Serbian, Croatian, Hungarian settings), when the header uses it."""
    header = text.split("\n", 1)[0]
    return ";" if ";" in header and "," not in header else ","


def _read_rows(text: str, problems: _Problems) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (lower case) and the data rows as (row number, cells), blank rows skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    records = []
    try:
        for number, cells in enumerate(reader, start=1):
            cells = [cell.strip() for cell in cells]
            if any(cells):
                records.append((number, cells))
            if len(records) > MAX_CSV_ROWS + 1:
                break
    except csv.Error as error:
        problems.row(
            reader.line_num,
            # Translators: %(error)s is the CSV reader's own message, in English.
            _("%(file)s, row %(row)s cannot be read as CSV (%(error)s). Check its quotes."),
            error=str(error),
        )
        return [], []
    if not records:
        return [], []
    header = [cell.lower() for cell in records[0][1]]
    return header, records[1:]


def _check_header(header: list[str], problems: _Problems) -> bool:
    example = "username,unit"
    if not header:
        problems.file(
            _(
                "%(file)s is empty. Its first row names the columns, e.g. “%(example)s”, "
                "and each row below enrols one person on one unit."
            ),
            example=example,
        )
        return False
    # A blank header cell is no column (Excel adds them after the last one).
    unknown = [cell for cell in header if cell and cell not in COLUMNS]
    if unknown:
        problems.file(
            _(
                "%(file)s, row 1: the column “%(column)s” is not one this import reads. "
                "Row 1 must name the columns: username, and unit or qualification "
                "(e.g. “%(example)s”). Remove other columns."
            ),
            column=unknown[0],
            example=example,
        )
        return False
    repeated = sorted({cell for cell in header if cell and header.count(cell) > 1})
    if repeated:
        problems.file(
            _("%(file)s, row 1: the column “%(column)s” appears twice. Keep one of them."),
            column=repeated[0],
        )
        return False
    if USERNAME not in header or not ({UNIT, QUALIFICATION} & set(header)):
        problems.file(
            _(
                "%(file)s, row 1 must name the columns: username, and unit or qualification "
                "(e.g. “%(example)s”). It names: %(columns)s."
            ),
            example=example,
            columns=", ".join(header),
        )
        return False
    return True


@dataclass
class _Row:
    number: int
    username: str
    unit: str
    qualification: str


def _parse_rows(header, records, problems: _Problems) -> list[_Row]:
    rows, seen = [], {}
    named = [cell for cell in header if cell]
    for number, cells in records:
        beyond = [cell for i, cell in enumerate(cells) if i >= len(header) or not header[i]]
        if any(beyond):
            problems.row(
                number,
                ngettext(
                    "%(file)s, row %(row)s has more values than the %(count)s column named in "
                    "row 1. Remove the extra values, or quote a value that holds a comma.",
                    "%(file)s, row %(row)s has more values than the %(count)s columns named in "
                    "row 1. Remove the extra values, or quote a value that holds a comma.",
                    len(named),
                ),
                count=len(named),
            )
            continue
        values = dict(zip(header, cells, strict=False))
        row = _Row(
            number, values.get(USERNAME, ""), values.get(UNIT, ""), values.get(QUALIFICATION, "")
        )
        if not row.username:
            problems.row(
                number, _("%(file)s, row %(row)s has no username. Fill it in or remove the row.")
            )
            continue
        if row.unit and row.qualification:
            problems.row(
                number,
                _(
                    "%(file)s, row %(row)s names both a unit and a qualification. Put each "
                    "on a row of its own."
                ),
            )
            continue
        if not (row.unit or row.qualification):
            problems.row(
                number,
                _(
                    "%(file)s, row %(row)s names no unit or qualification for “%(value)s”. "
                    "Fill it in or remove the row."
                ),
                value=row.username,
            )
            continue
        key = (row.username, row.unit, row.qualification)
        if key in seen:
            problems.row(
                number,
                _("%(file)s, row %(row)s repeats row %(first)s (“%(value)s”). Remove one of them."),
                first=_number(seen[key]),
                value=", ".join(part for part in key if part),
            )
            continue
        seen[key] = number
        rows.append(row)
    return rows


def _look_up_people(rows, problems: _Problems, by) -> dict[str, object]:
    """username -> person for the rows' people who can be enrolled; sentences for the rest."""
    wanted = {row.username.lower() for row in rows}
    found = list(
        with_candidacy(get_user_model().objects.all())
        .annotate(lower_username=Lower("username"))
        .filter(lower_username__in=wanted)
    )
    exact = {person.username: person for person in found}
    by_lower: dict[str, list] = {}
    for person in found:
        by_lower.setdefault(person.lower_username, []).append(person)
    sorted_people = sort_people(exact.values(), by=by)
    reasons = {person.pk: "not_candidate" for person in sorted_people.not_candidates}
    reasons.update({person.pk: "inactive" for person in sorted_people.inactive})
    reasons.update({person.pk: "not_yours" for person in sorted_people.not_yours})
    for row in rows:
        person = exact.get(row.username)
        if person is None:
            near = by_lower.get(row.username.lower())
            if near:
                problems.row(
                    row.number,
                    _(
                        "%(file)s, row %(row)s: there is nobody with the username "
                        "“%(value)s”; usernames are case-sensitive. Did you mean “%(near)s”?"
                    ),
                    value=row.username,
                    near=near[0].username,
                )
            else:
                problems.row(
                    row.number,
                    _(
                        "%(file)s, row %(row)s: there is nobody with the username "
                        "“%(value)s”. Check the spelling, or add the person in the admin "
                        "(Users) first."
                    ),
                    value=row.username,
                )
            continue
        reason = reasons.get(person.pk)
        if reason == "not_candidate":
            problems.row(
                row.number,
                _(
                    "%(file)s, row %(row)s: “%(value)s” is not a candidate (they do not have "
                    "the Candidate role), so cannot be enrolled. Give them the role first, or "
                    "remove the row."
                ),
                value=row.username,
            )
        elif reason == "inactive":
            problems.row(
                row.number,
                _(
                    "%(file)s, row %(row)s: the account “%(value)s” is deactivated. "
                    "Reactivate it first, or remove the row."
                ),
                value=row.username,
            )
        elif reason == "not_yours":
            problems.row(
                row.number,
                _(
                    "%(file)s, row %(row)s: you may not manage “%(value)s” (they hold "
                    "permissions you could not give). Ask a superuser to enrol them."
                ),
                value=row.username,
            )
    return {username: person for username, person in exact.items() if person.pk not in reasons}


def _look_up_units(rows, problems: _Problems) -> tuple[dict, dict]:
    """code -> Unit and slug -> list of its units, for the rows' units and qualifications."""
    codes = {row.unit for row in rows if row.unit}
    slugs = {row.qualification for row in rows if row.qualification}
    units = {unit.code: unit for unit in Unit.objects.filter(code__in=codes)} if codes else {}
    qualifications = (
        {q.slug: list(q.units.all()) for q in Qualification.objects.filter(slug__in=slugs)}
        if slugs
        else {}
    )
    for row in rows:
        if row.unit and row.unit not in units:
            problems.row(
                row.number,
                _(
                    "%(file)s, row %(row)s: there is no unit with the code “%(value)s”. "
                    "Write the code as the unit list shows it, such as F3 or A/601/2550."
                ),
                value=row.unit,
            )
        elif row.qualification and row.qualification not in qualifications:
            problems.row(
                row.number,
                _(
                    "%(file)s, row %(row)s: there is no qualification “%(value)s”. The "
                    "qualification column holds a qualification's slug, as the qualification "
                    "list shows it."
                ),
                value=row.qualification,
            )
        elif row.qualification and not qualifications[row.qualification]:
            problems.row(
                row.number,
                _(
                    "%(file)s, row %(row)s: the qualification “%(value)s” has no units yet. "
                    "Add its units first, or remove the row."
                ),
                value=row.qualification,
            )
    return units, qualifications


def _cap(problems: _Problems) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return list(problems)
    more = len(problems) - MAX_PROBLEMS
    return problems[:MAX_PROBLEMS] + [
        ngettext(
            "… and %(count)s more problem in %(file)s.",
            "… and %(count)s more problems in %(file)s.",
            more,
        )
        % {"count": _number(more), "file": problems.name}
    ]


def size_problem(name: str, size: int) -> str | None:
    """The sentence refusing a file too large to read, checked before reading it."""
    if size <= MAX_CSV_BYTES:
        return None
    return _(
        "%(file)s is %(size)s bytes; a CSV of enrolments can be at most %(limit)s bytes. "
        "Split it into smaller files."
    ) % {"file": name, "size": _number(size), "limit": _number(MAX_CSV_BYTES)}


def read_csv(name: str, data: bytes, *, by=None) -> CsvPlan:
    """Validate a CSV of usernames and unit codes (or qualification slugs): every
    problem as a sentence naming the file, the row and the value; else the plan.
    A constant number of queries, whatever the number of rows."""
    plan = CsvPlan(name=name)
    too_large = size_problem(name, len(data))
    if too_large:
        plan.problems = [too_large]
        return plan
    problems = _Problems(name)
    text = _decode(data, problems)
    if text is None:
        plan.problems = list(problems)
        return plan
    # Kept as uploaded, BOM and all, so the import log's hash is the file's own.
    plan.text = data.decode("utf-8")
    header, records = _read_rows(text, problems)
    if problems or not _check_header(header, problems):
        plan.problems = list(problems)
        return plan
    if len(records) > MAX_CSV_ROWS:
        problems.file(
            _(
                "%(file)s has more than %(limit)s rows; at most %(limit)s can be loaded at "
                "once. Split it into smaller files."
            ),
            limit=_number(MAX_CSV_ROWS),
        )
        plan.problems = list(problems)
        return plan
    rows = _parse_rows(header, records, problems)
    people = _look_up_people(rows, problems, by)
    units, qualifications = _look_up_units(rows, problems)
    if problems:
        plan.problems = _cap(problems)
        return plan
    wanted: dict[tuple[int, int], tuple] = {}
    for row in rows:
        candidate = people[row.username]
        for unit in [units[row.unit]] if row.unit else qualifications[row.qualification]:
            wanted.setdefault((candidate.pk, unit.pk), (candidate, unit))
    existing = set(
        Enrolment.objects.filter(
            candidate__in={pk for pk, _unit in wanted}, unit__in={pk for _c, pk in wanted}
        ).values_list("candidate_id", "unit_id")
    )
    for key, pair in wanted.items():
        (plan.existing if key in existing else plan.create).append(pair)
    return plan


def stage_csv(name: str, file, *, by) -> tuple[CsvPlan, ContentImport | None]:
    """Read the CSV (an uploaded file: its size is checked before it is read);
    stage it for preview if it has no problems. Nobody is enrolled yet."""
    too_large = size_problem(name, file.size)
    if too_large:
        return CsvPlan(name=name, problems=[too_large]), None
    plan = read_csv(name, file.read(), by=by)
    if not plan.is_valid:
        return plan, None
    return plan, ContentImport.objects.stage(by, ContentImport.Kind.ENROLMENTS, [(name, plan.text)])


class AlreadyDone(Invalid):
    """The import was confirmed or discarded already (a second click, another tab)."""

    code = "already_done"
    status = 409


def _lock_staged(staged: ContentImport) -> ContentImport:
    locked = ContentImport.objects.select_for_update().get(
        pk=staged.pk, kind=ContentImport.Kind.ENROLMENTS
    )
    if locked.state == ContentImport.State.APPLIED:
        raise AlreadyDone(_("This CSV has already been loaded; it was not loaded again."))
    if locked.state == ContentImport.State.DISCARDED:
        raise AlreadyDone(_("This CSV was discarded; nothing was loaded. Upload it again."))
    return locked


@transaction.atomic
def apply_csv(staged: ContentImport, *, by) -> ContentImport:
    """Load a staged CSV once: read again (people and units may have changed since
    the preview), enrol, and record what was done on the import. Any problem now
    refuses the whole file, and the import stays staged."""
    locked = _lock_staged(staged)
    plans = [read_csv(f["name"], f["text"].encode(), by=by) for f in locked.files]
    problems = [problem for plan in plans for problem in plan.problems]
    if problems:
        raise Invalid(
            _(
                "Nothing was loaded: since the preview, something the file depends on has "
                "changed. Read the problems below, correct the file and upload it again."
            ),
            problems=problems,
        )
    now = timezone.now()
    created = [pair for plan in plans for pair in plan.create]
    Enrolment.objects.bulk_create(
        [
            Enrolment(candidate=candidate, unit=unit, enrolled_at=now, enrolled_by=by)
            for candidate, unit in created
        ],
        ignore_conflicts=True,
    )
    locked.state = ContentImport.State.APPLIED
    locked.applied_at = now
    locked.summary = {
        "units.enrolment": {
            "created": len(created),
            "unchanged": sum(len(plan.existing) for plan in plans),
        }
    }
    locked.save(update_fields=["state", "applied_at", "summary"])
    return locked


@transaction.atomic
def discard_csv(staged: ContentImport) -> ContentImport:
    """Drop a staged CSV: nothing is loaded, and it cannot be confirmed later."""
    locked = _lock_staged(staged)
    locked.state = ContentImport.State.DISCARDED
    locked.save(update_fields=["state"])
    return locked
