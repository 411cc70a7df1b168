"""Enrolment, the admin side: the services, the CSV of usernames and unit codes
(validated, previewed, confirmed once), the people list's actions, the enrolment
and qualification admin, and seed_demo's enrolments.

Ada runs the centre's admin (staff, Admin group, not a superuser); Root is a
superuser; Mina and Jelena are candidates; Carol is an assessor; Gone is a
candidate whose account is deactivated."""

import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from units import enrolling
from units.errors import Invalid
from units.models import (
    Answer,
    ContentImport,
    Enrolment,
    LearningOutcome,
    Qualification,
    Unit,
)
from units.roles import ADMIN, ASSESSOR, CANDIDATE, ensure_roles

pytestmark = pytest.mark.django_db

User = get_user_model()
IMPORT_URL = "admin:units_enrolment_import"
PEOPLE_URL = "admin:auth_user_changelist"


def person(username, role=None, **extra):
    """A person with a role, enrolled on nothing (conftest's make_user enrols everyone)."""
    user = User.objects.create_user(
        username=username,
        password="pw-" + username,
        first_name=username.capitalize(),
        last_name="Example",
        **extra,
    )
    if role:
        ensure_roles()
        user.groups.add(Group.objects.get(name=role))
    return user


def unit(code, *, published=True):
    created = Unit.objects.create(
        code=code,
        slug=code.lower().replace("/", "-"),
        title=f"Unit {code}",
        published_at=timezone.now() if published else None,
    )
    LearningOutcome.objects.create(unit=created, code="1.1", outcome="LO1", question="Why?")
    return created


@pytest.fixture
def cast(db):
    ensure_roles()
    return {
        "ada": person("ada", ADMIN, is_staff=True),
        "root": person("root", is_staff=True, is_superuser=True),
        "mina": person("mina", CANDIDATE),
        "jelena": person("jelena", CANDIDATE),
        "carol": person("carol", ASSESSOR),
        "gone": person("gone", CANDIDATE, is_active=False),
    }


@pytest.fixture
def bank(db):
    units = {code: unit(code) for code in ("F1", "F2", "A/601/2550")}
    units["D1"] = unit("D1", published=False)
    business = Qualification.objects.create(title="Business and Administration", slug="bus-admin")
    business.units.set([units["F1"], units["F2"]])
    units["bus-admin"] = business
    return units


def enrolled() -> set[tuple[str, str]]:
    return set(Enrolment.objects.values_list("candidate__username", "unit__code"))


# --- The services -----------------------------------------------------------------


def test_enrolling_twice_enrols_once(cast, bank):
    done = enrolling.enrol([cast["mina"]], [bank["F1"], bank["F2"]], by=cast["ada"])
    assert (done.created, done.existing) == (2, 0)
    again = enrolling.enrol([cast["mina"]], [bank["F1"], bank["F2"]], by=cast["root"])
    assert (again.created, again.existing) == (0, 2)
    assert enrolled() == {("mina", "F1"), ("mina", "F2")}
    assert set(Enrolment.objects.values_list("enrolled_by__username", flat=True)) == {"ada"}


def test_enrolling_refuses_who_cannot_be_enrolled_and_enrols_nobody(cast, bank):
    for someone in ("carol", "gone", "root"):
        with pytest.raises(Invalid, match=someone):
            enrolling.enrol([cast["mina"], cast[someone]], [bank["F1"]], by=cast["root"])
    assert enrolled() == set()


def test_a_qualification_enrols_on_each_of_its_units(cast, bank):
    done = enrolling.enrol_on_qualification(
        [cast["mina"], cast["jelena"]], bank["bus-admin"], by=cast["ada"]
    )
    assert done.created == 4
    assert enrolled() == {("mina", "F1"), ("mina", "F2"), ("jelena", "F1"), ("jelena", "F2")}


def test_a_candidate_sees_their_enrolled_published_units_only(cast, bank):
    enrolling.enrol([cast["mina"]], [bank["F1"], bank["D1"]], by=cast["ada"])
    assert list(Unit.objects.visible_to(cast["mina"])) == [bank["F1"]]
    assert list(Unit.objects.visible_to(cast["jelena"])) == []


def test_unenrolling_keeps_the_answers(cast, bank):
    mina, f1 = cast["mina"], bank["F1"]
    enrolling.enrol([mina], [f1, bank["F2"]], by=cast["ada"])
    answer = Answer.objects.create(
        candidate=mina, learning_outcome=f1.criteria.get(), text="My answer"
    )
    assert enrolling.unenrol([mina], [f1]) == 1
    assert enrolled() == {("mina", "F2")}
    assert Answer.objects.get(pk=answer.pk).text == "My answer"
    assert not Answer.objects.enrolled().filter(pk=answer.pk).exists()
    enrolling.enrol([mina], [f1], by=cast["ada"])
    assert Answer.objects.enrolled().filter(pk=answer.pk).exists()  # back as it was
    assert enrolling.unenrol([mina], [bank["A/601/2550"]]) == 0  # not enrolled: nothing


# --- The CSV: reading -------------------------------------------------------------


def test_a_good_csv_is_planned_with_what_exists(cast, bank):
    enrolling.enrol([cast["mina"]], [bank["F1"]], by=cast["ada"])
    data = b"username,unit\nmina,F1\nmina,A/601/2550\njelena,D1\n"
    plan = enrolling.read_csv("people.csv", data, by=cast["ada"])
    assert plan.problems == []
    assert {(c.username, u.code) for c, u in plan.create} == {
        ("mina", "A/601/2550"),
        ("jelena", "D1"),
    }
    assert {(c.username, u.code) for c, u in plan.existing} == {("mina", "F1")}
    assert [u.code for u in plan.draft_units] == ["D1"]
    assert enrolled() == {("mina", "F1")}  # reading enrols nobody


@pytest.mark.parametrize(
    "data",
    [
        # Excel's "CSV UTF-8" starts with a BOM; headers in any case, cells padded.
        b"\xef\xbb\xbfUsername, Unit\r\nmina , F1\r\n\r\n,\r\njelena,F2\r\n",
        # Where the decimal mark is a comma, Excel separates with semicolons.
        "username;unit\nmina;F1\njelena;F2\n".encode(),
        b"username,qualification,unit\nmina,,F1\njelena,,F2\n",
        # Quoted values; blank columns after the last one, as Excel may leave them.
        b'"username","unit",,\n"mina","F1",,\njelena,F2\n',
    ],
    ids=["bom-crlf-blank-rows", "semicolons", "three-columns", "quotes-blank-columns"],
)
def test_csvs_as_spreadsheets_write_them_are_read(cast, bank, data):
    plan = enrolling.read_csv("people.csv", data)
    assert plan.problems == []
    assert {(c.username, u.code) for c, u in plan.create} == {("mina", "F1"), ("jelena", "F2")}


def test_a_qualification_row_enrols_on_its_units(cast, bank):
    plan = enrolling.read_csv("q.csv", b"username,qualification\njelena,bus-admin\n")
    assert {(c.username, u.code) for c, u in plan.create} == {("jelena", "F1"), ("jelena", "F2")}


LATIN_1 = "username,unit\nmüller,F1\n".encode("latin-1")
BAD_INPUTS = {
    "latin-1": (
        LATIN_1,
        "people.csv is not in UTF-8: the byte at position 16 (line 2) is not valid UTF-8. "
        "It looks like an older encoding (such as Windows-1252",
    ),
    "utf-16": ("username,unit\nmina,F1\n".encode("utf-16"), "people.csv is in UTF-16"),
    "xlsx": (b"PK\x03\x04\x14\x00\x06\x00", "people.csv is a spreadsheet workbook"),
    "empty": (b"", "people.csv is empty. Its first row names the columns"),
    "no-header": (b"mina,F1\n", "people.csv, row 1: the column “mina” is not one"),
    "no-unit-column": (b"username\nmina\n", "people.csv, row 1 must name the columns"),
    "unenrol-column": (
        b"username,unit,action\nmina,F1,unenrol\n",
        "people.csv, row 1: the column “action” is not one this import reads",
    ),
    "unknown-person": (
        b"username,unit\nmina,F1\nzed,F1\n",
        "people.csv, row 3: there is nobody with the username “zed”. Check the spelling",
    ),
    "wrong-case": (
        b"username,unit\nMina,F1\n",
        "people.csv, row 2: there is nobody with the username “Mina”; usernames are "
        "case-sensitive. Did you mean “mina”?",
    ),
    "not-a-candidate": (
        b"username,unit\ncarol,F1\n",
        "people.csv, row 2: “carol” is not a candidate (they do not have the Candidate role)",
    ),
    "superuser": (b"username,unit\nroot,F1\n", "people.csv, row 2: “root” is not a candidate"),
    "inactive": (
        b"username,unit\ngone,F1\n",
        "people.csv, row 2: the account “gone” is deactivated. Reactivate it first",
    ),
    "unknown-unit": (
        b"username,unit\nmina,F9\n",
        "people.csv, row 2: there is no unit with the code “F9”.",
    ),
    "unknown-qualification": (
        b"username,qualification\nmina,nope\n",
        "people.csv, row 2: there is no qualification “nope”.",
    ),
    "repeated-row": (
        b"username,unit\nmina,F1\njelena,F1\nmina,F1\n",
        "people.csv, row 4 repeats row 2 (“mina, F1”). Remove one of them.",
    ),
    "extra-values": (b"username,unit\nmina,F1,F2\n", "people.csv, row 2 has more values"),
    "value-under-a-blank-header": (
        b"username,unit,\nmina,F1,F2\n",
        "people.csv, row 2 has more values than the 2 columns named in row 1.",
    ),
    "unreadable": (
        b'username,unit\nmina,"' + b"x" * 200_000 + b"\n",
        "people.csv, row 2 cannot be read as CSV (field larger than field limit",
    ),
    "no-unit": (
        b"username,unit\nmina,\n",
        "people.csv, row 2 names no unit or qualification for “mina”.",
    ),
    "unit-and-qualification": (
        b"username,unit,qualification\nmina,F1,bus-admin\n",
        "people.csv, row 2 names both a unit and a qualification.",
    ),
    "too-many-rows": (
        b"username,unit\n" + b"mina,F1\n" * 10_001,
        "people.csv has more than 10,000 rows; at most 10,000 can be loaded at once.",
    ),
    "too-large": (
        b"username,unit\n" + b"mina,F1," + b"x" * 1_000_000 + b"\n",
        "people.csv is 1,000,023 bytes; a CSV of enrolments can be at most 1,000,000 bytes.",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_each_bad_csv_is_refused_with_a_sentence_and_enrols_nobody(client, cast, bank, case):
    data, sentence = BAD_INPUTS[case]
    assert any(sentence in p for p in enrolling.read_csv("people.csv", data).problems), case
    client.force_login(cast["ada"])
    response = upload(client, data)
    assert response.status_code == 200  # the form again, with the problems
    page = response.content.decode()
    assert escaped(sentence) in page, page
    assert "Nobody was enrolled." in page
    assert enrolled() == set()
    assert not ContentImport.objects.exists()  # nothing staged


def test_every_problem_of_a_file_is_listed_and_its_good_rows_are_not_loaded(cast, bank):
    data = b"username,unit\nmina,F1\nzed,F1\ncarol,F2\nmina,F9\n"
    problems = enrolling.read_csv("people.csv", data).problems
    assert [p.split(":")[0] for p in problems] == [
        "people.csv, row 3",
        "people.csv, row 4",
        "people.csv, row 5",
    ]


def escaped(text: str) -> str:
    return text.replace("'", "&#x27;").replace('"', "&quot;")


def upload(client, data, name="people.csv"):
    return client.post(reverse(IMPORT_URL), {"file": SimpleUploadedFile(name, data)})


# --- The CSV in the admin: preview, confirm once, discard -------------------------


@pytest.mark.parametrize("who", ["ada", "root"])
def test_a_good_csv_is_previewed_then_loaded_once(client, cast, bank, who):
    enrolling.enrol([cast["mina"]], [bank["F1"]], by=cast["root"])
    client.force_login(cast[who])
    changelist = client.get(reverse("admin:units_enrolment_changelist")).content.decode()
    assert reverse(IMPORT_URL) in changelist and "Upload a CSV" in changelist
    assert client.get(reverse(IMPORT_URL)).status_code == 200

    data = b"\xef\xbb\xbfusername,unit\r\nmina,F1\r\nmina,F2\r\njelena,D1\r\n"  # Excel's CSV UTF-8
    response = upload(client, data)
    staged = ContentImport.objects.get()
    assert staged.files[0]["sha256"] == hashlib.sha256(data).hexdigest()
    assert staged.files[0]["size"] == len(data)
    assert response.status_code == 302 and response["Location"] == staged.preview_url()
    assert staged.kind == "enrolments" and staged.state == "staged"
    assert staged.file_names == ["people.csv"] and staged.created_by == cast[who]
    assert enrolled() == {("mina", "F1")}  # staged, not loaded

    preview = client.get(staged.preview_url()).content.decode()
    assert "2 enrolments will be created." in preview
    assert "1 already exists and stays as it is." in preview
    assert "Mina Example (mina)" in preview and "Jelena Example (jelena)" in preview
    assert "the candidates will see them once they are published" in preview  # D1
    assert reverse("admin:units_enrolment_import_confirm", args=[staged.pk]) in preview

    confirm = reverse("admin:units_enrolment_import_confirm", args=[staged.pk])
    response = client.post(confirm, follow=True)
    assert "2 new enrolments. 1 enrolment was already there." in response.content.decode()
    assert enrolled() == {("mina", "F1"), ("mina", "F2"), ("jelena", "D1")}
    staged.refresh_from_db()
    assert staged.state == "applied" and staged.applied_at is not None
    assert staged.summary == {"units.enrolment": {"created": 2, "unchanged": 1}}
    assert Enrolment.objects.get(candidate=cast["jelena"]).enrolled_by == cast[who]

    # A second click (or another tab) loads nothing again.
    again = client.post(confirm, follow=True)
    assert "This CSV has already been loaded; it was not loaded again." in again.content.decode()
    assert Enrolment.objects.count() == 3
    log = client.get(staged.preview_url()).content.decode()
    assert "Loaded on" in log and "2 new enrolments." in log
    assert "Confirm and enrol" not in log


def test_a_discarded_csv_loads_nothing_and_cannot_be_confirmed(client, cast, bank):
    client.force_login(cast["ada"])
    upload(client, b"username,unit\nmina,F1\n")
    staged = ContentImport.objects.get()
    response = client.post(
        reverse("admin:units_enrolment_import_discard", args=[staged.pk]), follow=True
    )
    assert "The CSV was discarded; nothing was loaded." in response.content.decode()
    response = client.post(
        reverse("admin:units_enrolment_import_confirm", args=[staged.pk]), follow=True
    )
    assert "This CSV was discarded; nothing was loaded." in response.content.decode()
    staged.refresh_from_db()
    assert staged.state == "discarded" and enrolled() == set()


def test_confirming_checks_again_and_loads_nothing_if_anything_changed(client, cast, bank):
    client.force_login(cast["ada"])
    upload(client, b"username,unit\nmina,F1\njelena,F2\n")
    staged = ContentImport.objects.get()
    User.objects.filter(username="jelena").update(is_active=False)
    response = client.post(
        reverse("admin:units_enrolment_import_confirm", args=[staged.pk]), follow=True
    )
    page = response.content.decode()
    assert "Nothing was loaded" in page
    assert "people.csv, row 3: the account “jelena” is deactivated." in page
    staged.refresh_from_db()
    assert staged.state == "staged" and enrolled() == set()


def test_confirm_and_discard_are_posts(client, cast, bank):
    client.force_login(cast["ada"])
    upload(client, b"username,unit\nmina,F1\n")
    staged = ContentImport.objects.get()
    for name in ("confirm", "discard"):
        url = reverse(f"admin:units_enrolment_import_{name}", args=[staged.pk])
        assert client.get(url).status_code == 405
    assert ContentImport.objects.get().state == "staged" and enrolled() == set()


def test_a_content_import_is_not_an_enrolment_import(client, cast, bank):
    other = ContentImport.objects.stage(cast["root"], "content", [("f.json", "[]")])
    client.force_login(cast["ada"])
    assert (
        client.get(reverse("admin:units_enrolment_import_preview", args=[other.pk])).status_code
        == 404
    )
    url = reverse("admin:units_enrolment_import_confirm", args=[other.pk])
    assert client.post(url).status_code == 404


def test_a_csv_naming_someone_ada_may_not_manage_is_refused(client, cast, bank):
    mighty = person("mighty", CANDIDATE)
    mighty.user_permissions.add(Permission.objects.get(codename="change_group"))
    data = b"username,unit\nmighty,F1\n"
    client.force_login(cast["ada"])
    page = upload(client, data).content.decode()
    assert "people.csv, row 2: you may not manage “mighty”" in page
    assert enrolling.read_csv("people.csv", data, by=cast["root"]).problems == []


# --- The people list's actions ----------------------------------------------------


def action(client, name, people, **extra):
    data = {"action": name, "_selected_action": [p.pk for p in people], **extra}
    return client.post(reverse(PEOPLE_URL), data)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_ada_enrols_the_selected_candidates_and_is_told_who_was_left_out(client, cast, bank):
    mighty = person("mighty", CANDIDATE)
    mighty.user_permissions.add(Permission.objects.get(codename="change_group"))
    client.force_login(cast["ada"])
    chosen = [cast[name] for name in ("mina", "jelena", "carol", "gone", "root")] + [mighty]
    page = action(client, "enrol_people", chosen)
    assert page.status_code == 200
    html = page.content.decode()
    assert "2 candidates will be enrolled:" in html
    assert "Mina Example (mina)" in html and "Jelena Example (jelena)" in html
    assert (
        "Left out, as not candidates (no Candidate role): "
        "Carol Example (carol), Root Example (root)." in html
    )
    assert "Left out, as the account is deactivated: Gone Example (gone)." in html
    assert "Left out, as only a superuser may manage this person: Mighty Example (mighty)." in html
    assert (
        "A/601/2550 Unit A/601/2550" in html and "D1 Unit D1 (draft: seen once published)" in html
    )
    assert enrolled() == set()  # the page changes nothing

    done = action(client, "enrol_people", chosen, confirm="yes", units=[bank["F1"].pk])
    assert done.status_code == 302
    assert enrolled() == {("mina", "F1"), ("jelena", "F1")}
    said = messages_of(done)
    assert "2 new enrolments." in said
    assert any("Left out, as not candidates" in m and "carol" in m for m in said)


def test_a_superuser_enrols_on_a_qualification_and_units(client, cast, bank):
    client.force_login(cast["root"])
    chosen = [cast["mina"], cast["jelena"]]
    enrolling.enrol([cast["mina"]], [bank["F1"]], by=cast["root"])
    response = action(
        client,
        "enrol_people",
        chosen,
        confirm="yes",
        units=[bank["D1"].pk],
        qualification=bank["bus-admin"].pk,
    )
    assert response.status_code == 302
    assert enrolled() == {(p, u) for p in ("mina", "jelena") for u in ("F1", "F2", "D1")}
    said = messages_of(response)
    assert "5 new enrolments. 1 enrolment was already there." in said
    assert "Some of these units are drafts" in " ".join(said)


def test_choosing_nothing_asks_again(client, cast, bank):
    client.force_login(cast["ada"])
    response = action(client, "enrol_people", [cast["mina"]], confirm="yes")
    assert response.status_code == 200
    assert "Choose at least one unit, or a qualification." in response.content.decode()
    assert enrolled() == set()


def test_all_matching_people_can_be_enrolled_at_once(client, cast, bank):
    client.force_login(cast["root"])
    response = client.post(
        reverse(PEOPLE_URL) + "?groups__id__exact=" + str(Group.objects.get(name=CANDIDATE).pk),
        {"action": "enrol_people", "select_across": "1", "_selected_action": [cast["mina"].pk]},
    )
    page = response.content.decode()
    assert 'name="select_across" value="1"' in page and "2 candidates will be enrolled" in page
    response = client.post(
        reverse(PEOPLE_URL) + "?groups__id__exact=" + str(Group.objects.get(name=CANDIDATE).pk),
        {
            "action": "enrol_people",
            "select_across": "1",
            "_selected_action": [cast["mina"].pk],  # as the page sends it: one id suffices
            "index": "0",
            "confirm": "yes",
            "units": [bank["F2"].pk],
        },
    )
    assert response.status_code == 302
    assert enrolled() == {("mina", "F2"), ("jelena", "F2")}  # gone is deactivated


def test_unenrolling_from_the_people_list_keeps_answers(client, cast, bank):
    mina = cast["mina"]
    enrolling.enrol([mina, cast["jelena"]], [bank["F1"], bank["F2"]], by=cast["root"])
    answer = Answer.objects.create(candidate=mina, learning_outcome=bank["F1"].criteria.get())
    # Root is no candidate, but was enrolled (say, before a role change): Ada may not
    # manage a superuser, so his enrolment stays; Carol's role ended, hers is ended.
    Enrolment.objects.create(candidate=cast["root"], unit=bank["F1"])
    Enrolment.objects.create(candidate=cast["carol"], unit=bank["F1"])
    chosen = [mina, cast["root"], cast["carol"]]
    client.force_login(cast["ada"])
    page = action(client, "unenrol_people", chosen).content.decode()
    assert "2 people will be unenrolled (their answers are kept):" in page
    assert "Left out, as only a superuser may manage this person: Root Example (root)." in page
    done = action(client, "unenrol_people", chosen, confirm="yes", units=[bank["F1"].pk])
    assert "2 enrolments ended. The candidates' answers are kept." in messages_of(done)
    assert enrolled() == {("mina", "F2"), ("jelena", "F1"), ("jelena", "F2"), ("root", "F1")}
    assert Answer.objects.filter(pk=answer.pk).exists()


def test_staff_without_the_enrolment_permission_are_not_offered_the_actions(client, cast, bank):
    viewer = person("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(viewer)
    page = client.get(reverse(PEOPLE_URL)).content.decode()
    assert "enrol_people" not in page and "unenrol_people" not in page
    action(client, "enrol_people", [cast["mina"]], confirm="yes", units=[bank["F1"].pk])
    assert enrolled() == set()
    for url in (
        reverse(IMPORT_URL),
        reverse("admin:units_enrolment_changelist"),
    ):
        assert client.get(url).status_code == 403


def test_ada_is_offered_the_actions(client, cast, bank):
    client.force_login(cast["ada"])
    page = client.get(reverse(PEOPLE_URL)).content.decode()
    assert "Enrol on units…" in page and "Unenrol from units… (answers are kept)" in page


@pytest.mark.parametrize("who", [None, "mina", "carol"])
def test_the_enrolment_pages_are_for_staff(client, cast, bank, who):
    staged = ContentImport.objects.stage(cast["root"], "enrolments", [("a.csv", "x")])
    if who:
        client.force_login(cast[who])
    for name, args in [
        (IMPORT_URL, []),
        ("admin:units_enrolment_import_preview", [staged.pk]),
        ("admin:units_enrolment_changelist", []),
        ("admin:units_qualification_changelist", []),
    ]:
        response = client.get(reverse(name, args=args))
        # The admin site's one rule: anyone not staff is sent to its sign-in.
        assert response.status_code == 302, (name, who)
        assert response["Location"].startswith(reverse("admin:login"))
    for name in ("confirm", "discard"):
        url = reverse(f"admin:units_enrolment_import_{name}", args=[staged.pk])
        assert client.post(url).status_code == 302
    assert ContentImport.objects.get().state == "staged"


# --- The enrolment and qualification admin ----------------------------------------


def test_the_enrolment_list_searches_and_filters(client, cast, bank):
    enrolling.enrol([cast["mina"]], [bank["F1"], bank["F2"]], by=cast["ada"])
    enrolling.enrol([cast["jelena"]], [bank["F2"]], by=cast["ada"])
    client.force_login(cast["ada"])
    url = reverse("admin:units_enrolment_changelist")
    page = client.get(url, {"q": "jelena"}).content.decode()
    assert "1 enrolment" in page or "1 result" in page
    page = client.get(url, {"unit__id__exact": bank["F2"].pk}).content.decode()
    assert "mina" in page and "jelena" in page
    page = client.get(url, {"unit__id__exact": bank["F1"].pk}).content.decode()
    assert "jelena" not in page.split('id="result_list"')[1]


def test_adding_an_enrolment_in_the_admin_checks_the_candidate(client, cast, bank):
    client.force_login(cast["ada"])
    url = reverse("admin:units_enrolment_add")
    refused = client.post(url, {"candidate": cast["carol"].pk, "unit": bank["F1"].pk})
    assert refused.status_code == 200
    assert (
        "Carol Example (carol) is not a candidate (no Candidate role), so cannot be enrolled."
        in refused.content.decode()
    )
    response = client.post(url, {"candidate": cast["mina"].pk, "unit": bank["F1"].pk})
    assert response.status_code == 302
    enrolment = Enrolment.objects.get()
    assert enrolment.enrolled_by == cast["ada"] and enrolled() == {("mina", "F1")}
    again = client.post(url, {"candidate": cast["mina"].pk, "unit": bank["F1"].pk})
    assert again.status_code == 200 and Enrolment.objects.count() == 1


def test_deleting_an_enrolment_unenrols_and_keeps_the_answers(client, cast, bank):
    enrolling.enrol([cast["mina"]], [bank["F1"]], by=cast["ada"])
    answer = Answer.objects.create(
        candidate=cast["mina"], learning_outcome=bank["F1"].criteria.get()
    )
    enrolment = Enrolment.objects.get()
    client.force_login(cast["ada"])
    url = reverse("admin:units_enrolment_delete", args=[enrolment.pk])
    assert "Their answers are kept" in client.get(url).content.decode()
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert enrolled() == set() and Answer.objects.filter(pk=answer.pk).exists()


def test_qualifications_are_listed_with_their_unit_counts(client, cast, bank):
    client.force_login(cast["ada"])
    page = client.get(reverse("admin:units_qualification_changelist")).content.decode()
    assert "Business and Administration" in page
    change = reverse("admin:units_qualification_change", args=[bank["bus-admin"].pk])
    assert client.get(change).status_code == 200
    assert client.get(reverse("admin:units_qualification_add")).status_code == 200


# --- Query counts -----------------------------------------------------------------


def many_candidates(n):
    group = Group.objects.get(name=CANDIDATE)
    people = User.objects.bulk_create(
        User(username=f"c{i:03}", first_name="C", last_name=str(i)) for i in range(n)
    )
    group.user_set.add(*people)
    return people


@pytest.mark.parametrize("n", [1, 50])
def test_the_pages_query_count_is_constant(client, django_assert_max_num_queries, cast, bank, n):
    """Bulk look-ups: the same budget for 1 candidate as for 50. Of each budget, 4
    queries are the session, the user and their permissions, and 1 the site's
    context processor; the people list's action pages include Django's changelist
    (its counts and filters), built before the action runs."""
    people = many_candidates(n)
    rows = "".join(f"{p.username},F1\n{p.username},F2\n" for p in people)
    data = ("username,unit\n" + rows).encode()
    enrolling.enrol(people, [bank["A/601/2550"]], by=cast["root"])
    client.force_login(cast["ada"])
    with django_assert_max_num_queries(9):
        assert client.get(reverse("admin:units_enrolment_changelist")).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(reverse(IMPORT_URL)).status_code == 200
    with django_assert_max_num_queries(10):  # and 1 for the same CSV already staged
        assert upload(client, data).status_code == 302
    staged = ContentImport.objects.get()
    with django_assert_max_num_queries(10):
        assert client.get(staged.preview_url()).status_code == 200
    confirm = reverse("admin:units_enrolment_import_confirm", args=[staged.pk])
    with django_assert_max_num_queries(14):
        assert client.post(confirm).status_code == 302
    assert Enrolment.objects.count() == 3 * n
    with django_assert_max_num_queries(14):
        assert action(client, "enrol_people", people).status_code == 200
    with django_assert_max_num_queries(17):
        response = action(client, "enrol_people", people, confirm="yes", units=[bank["D1"].pk])
        assert response.status_code == 302
    assert Enrolment.objects.count() == 4 * n
    with django_assert_max_num_queries(8):
        assert client.get(reverse("admin:units_qualification_changelist")).status_code == 200


# --- seed_demo --------------------------------------------------------------------


def test_seed_demo_publishes_the_units_and_enrols_the_demo_candidates_on_each(content):
    Unit.objects.update(published_at=None)  # as loaddata leaves them in `make run`
    call_command("seed_demo", "--force", verbosity=0)
    assert not Unit.objects.filter(published_at=None).exists()
    mina = User.objects.get(username="mina")
    assert set(Unit.objects.visible_to(mina)) == set(Unit.objects.all())
    codes = set(Unit.objects.values_list("code", flat=True))
    expected = {(name, code) for name in ("mina", "jelena", "wei") for code in codes}
    demo = {pair for pair in enrolled() if pair[0] in {"mina", "jelena", "wei"}}
    assert demo == expected and len(codes) >= 2
    call_command("seed_demo", "--force", verbosity=0)
    assert {pair for pair in enrolled() if pair[0] in {"mina", "jelena", "wei"}} == expected
    assert not Enrolment.objects.filter(candidate__username__in=["admin", "amara", "ben"]).exists()


def test_a_hostile_file_name_and_values_are_shown_as_text(client, cast, bank):
    client.force_login(cast["ada"])
    data = b"username,unit\n<img src=x onerror=alert(1)>,F1\n"
    page = upload(client, data, name="<i>people.csv").content.decode()
    assert "<i>people" not in page and "<img src=x" not in page
    assert "&lt;i&gt;people.csv, row 2: there is nobody with the username" in page


def test_the_enrolment_form_finds_candidates_and_an_enrolment_cannot_be_moved(client, cast, bank):
    client.force_login(cast["ada"])
    assert client.get(reverse("admin:units_enrolment_add")).status_code == 200
    found = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "units", "model_name": "enrolment", "field_name": "candidate", "term": "min"},
    ).json()
    assert [result["text"] for result in found["results"]] == ["mina"]
    enrolling.enrol([cast["mina"]], [bank["F1"]], by=cast["ada"])
    enrolment = Enrolment.objects.get()
    url = reverse("admin:units_enrolment_change", args=[enrolment.pk])
    page = client.get(url).content.decode()
    assert 'name="candidate"' not in page and 'name="unit"' not in page  # read-only
    client.post(url, {"candidate": cast["jelena"].pk, "unit": bank["F2"].pk})
    assert enrolled() == {("mina", "F1")}


def test_the_enrolment_list_cannot_end_enrolments_of_those_out_of_reach(client, cast, bank):
    """The enrolment list's delete follows the people list's rule (units.admin.may_manage)."""
    mina_on_f1 = Enrolment.objects.create(candidate=cast["mina"], unit=bank["F1"])
    roots = Enrolment.objects.create(candidate=cast["root"], unit=bank["F1"])
    client.force_login(cast["ada"])
    change = reverse("admin:units_enrolment_delete", args=[roots.pk])
    assert client.post(change, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:units_enrolment_changelist")
    both = {"action": "delete_selected", "_selected_action": [mina_on_f1.pk, roots.pk]}
    assert client.post(changelist, {**both, "post": "yes"}).status_code == 403
    assert enrolled() == {("mina", "F1"), ("root", "F1")}  # all or nothing
    mine = {"action": "delete_selected", "_selected_action": [mina_on_f1.pk], "post": "yes"}
    assert client.post(changelist, mine).status_code == 302
    assert enrolled() == {("root", "F1")}
