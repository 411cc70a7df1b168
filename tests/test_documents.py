"""A study guide becomes a draft of a unit's content: the seeds give today's fixtures,
furniture is flagged with its reason, bad files are refused in a sentence with
nothing staged, and the admin pages review, stage and preview."""

import io
import json
import random
import re
import time
import zipfile

import docx
import pytest
from django.conf import settings
from django.core import serializers, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from units import documents
from units.admin_documents import EXPIRED_MESSAGE, REVIEW_HOURS, TOKEN_SALT
from units.documents import DocumentError, Kind, UnitFacts
from units.models import ContentImport, ModelAnswer, Unit, UnitIntroduction
from units.roles import ADMIN

from .conftest import FIXTURE_DIR, make_user

pytestmark = pytest.mark.django_db

SEEDS = settings.BASE_DIR.parent / "shared" / "seeds"
needs_seeds = pytest.mark.skipif(
    not SEEDS.is_dir(), reason="the seed texts (../shared/seeds) are not here"
)
SERBIAN, KOREAN, CHINESE = (
    "000_14d2caf87c1030a7.txt",
    "001_f88f829b704c4678.txt",
    "002_ef8505fd1acefe3b.txt",
)
SEED_CASES = [
    (SERBIAN, "unit-f3.json", "F3", "sr-Cyrl"),
    (KOREAN, "unit-f3.json", "F3", "ko"),
    (CHINESE, "unit-a-601-2550.json", "A/601/2550", "zh-Hans"),
]
UPLOAD = "admin:units_unit_import_document"
REVIEW = "admin:units_unit_import_document_review"
STAGE = "admin:units_unit_import_document_stage"


def seed_text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def fixture_content(fixture: str, language: str) -> list[dict]:
    """Today's model answers and introduction in `language`, from fixtures/ on disk."""
    objects = json.loads((FIXTURE_DIR / fixture).read_text(encoding="utf-8"))
    return [
        obj
        for obj in objects
        if obj["model"] in ("units.modelanswer", "units.unitintroduction")
        and obj["fields"]["language"] == language
    ]


def assert_same_objects(got: list[dict], expected: list[dict]) -> None:
    """Field by field, so a failure names the object and the field."""
    assert [o["model"] for o in got] == [o["model"] for o in expected]
    for mine, theirs in zip(got, expected, strict=True):
        key = theirs["fields"].get("learning_outcome") or theirs["fields"]["unit"]
        assert list(mine["fields"]) == list(theirs["fields"]), key
        for name, value in theirs["fields"].items():
            assert mine["fields"][name] == value, (key, name)


def draft_objects(text: str, unit_code: str, language: str, attribution=None, decisions=None):
    unit = Unit.objects.get(code=unit_code)
    facts = documents.unit_facts(unit, language)
    draft = documents.parse(text, facts)
    assembled = documents.assemble(draft, decisions)
    chosen = facts.attribution if attribution is None else attribution
    return draft, documents.fixture_objects(unit_code, language, assembled, chosen)


# --- The seeds give today's fixtures --------------------------------------------------


@needs_seeds
@pytest.mark.parametrize("answers_in_bank", [True, False], ids=["answers-in-bank", "new-language"])
@pytest.mark.parametrize(("seed", "fixture", "unit_code", "language"), SEED_CASES)
def test_each_seed_becomes_todays_fixture(
    content, seed, fixture, unit_code, language, answers_in_bank
):
    # With the language's answers in the bank, the Chinese unnumbered headings are
    # found by their text; without them (a new language), 4.3 and 6.2 are proposed
    # as the only criteria between their neighbours. Either way: today's fixture.
    expected = fixture_content(fixture, language)
    attribution = expected[0]["fields"]["attribution"]
    if not answers_in_bank:
        ModelAnswer.objects.filter(language=language).delete()
    draft, got = draft_objects(
        seed_text(seed), unit_code, language, None if answers_in_bank else attribution
    )
    assert_same_objects(got, expected)


@needs_seeds
def test_the_chinese_unnumbered_headings_are_proposed_for_the_only_criteria_between(content):
    ModelAnswer.objects.filter(language="zh-Hans").delete()
    draft, _ = draft_objects(seed_text(CHINESE), "A/601/2550", "zh-Hans", "x")
    proposed = {line.text: line.code for line in draft.headings}
    assert proposed == {
        "解释如何与内部客户建立和满足质量标准和时间表": "4.3",
        "描述收集和评估客户反馈的技术": "6.2",
    }
    assert all("proposed" in line.reason_text for line in draft.headings)


@needs_seeds
def test_the_furniture_of_the_serbian_seed_is_flagged_with_reasons(content):
    draft, _ = draft_objects(seed_text(SERBIAN), "F3", "sr-Cyrl")
    flagged = {line.text: line.reason for line in draft.lines if line.kind == Kind.FURNITURE}
    assert flagged["тхемана.гр"] == "picture-credit"
    assert flagged["блог.таскраббит.цом"] == "picture-credit"
    assert flagged["Разумевање потреба купаца"] == "section"
    assert flagged["Покажите разумевање корисничке услуге - 2. део"] == "other-part"
    assert flagged["Све најбоље!"] == "after-end"
    assert next(t for t, r in flagged.items() if r == "sign-off").startswith("Надам се")
    sentences = [p for line in draft.lines for p in line.pieces if p.reason]
    assert [p.reason for p in sentences] == ["comment"]
    assert sentences[0].text.endswith("слободно окрените коментар испод.")
    contents = [line for line in draft.lines if line.kind == Kind.CONTENTS]
    assert len(contents) == 14  # the label and its 13 entries


@needs_seeds
def test_the_chinese_byline_labels_and_reader_comments_are_flagged(content):
    draft, _ = draft_objects(seed_text(CHINESE), "A/601/2550", "zh-Hans")
    reasons = {line.text: line.reason for line in draft.lines if line.kind == Kind.FURNITURE}
    assert reasons["更新日期:"] == reasons["作者:"] == "page-label"
    assert reasons["利文斯塔分享了她在企业管理、客户服务和教育方面的积极经验。"] == "byline"
    assert reasons["我希望这对你有帮助。谢谢你的阅读。如果您有任何疑问,请随时与我联系。"] == (
        "sign-off"
    )
    assert reasons["相关文章"] == reasons["评论"] == "after-end"
    # The reader's "01.02…" after the sign-off is not taken for a criterion.
    assert reasons["01.02解释了工具和技术的适当用途"] == "after-end"


@needs_seeds
def test_kept_furniture_goes_into_the_answer_it_stands_in(content):
    draft, _ = draft_objects(seed_text(KOREAN), "F3", "ko")
    credit = next(line for line in draft.lines if line.text == "blog.taskrabbit.com")
    section = next(line for line in draft.lines if line.text == "고객 요구 이해")
    end = draft.default_decisions()
    end.update({credit.key: documents.KEEP, section.key: documents.KEEP, "end": documents.KEEP})
    assembled = documents.assemble(draft, end)
    assert assembled.answers["3.3"].lines[-1] == "blog.taskrabbit.com"
    assert assembled.answers["3.4"].lines[-1] == "고객 요구 이해"
    assert assembled.answers["3.10"].lines[-1] == "모두 제일 좋다!"


@needs_seeds
def test_a_heading_left_as_text_joins_the_answer_above(content):
    ModelAnswer.objects.filter(language="zh-Hans").delete()
    draft, _ = draft_objects(seed_text(CHINESE), "A/601/2550", "zh-Hans", "x")
    heading = next(line for line in draft.headings if line.code == "4.3")
    assembled = documents.assemble(draft, {heading.key: documents.AS_TEXT})
    assert "4.3" not in assembled.answers
    assert heading.text in assembled.answers["4.2"].lines
    left_out = documents.assemble(draft, {heading.key: documents.LEAVE_OUT})
    assert "4.3" not in left_out.answers
    as_text = assembled.answers["4.2"].lines
    assert left_out.answers["4.2"].lines == as_text[: as_text.index(heading.text)]


# --- The rules on a guide of our own -------------------------------------------------

GUIDE = """\
Updated: 3 May 2020
My guide to unit U1
By Jane Doe
Introduction:
This guide answers the criteria of unit U1. If anything is missing, leave a comment below.
This is part 1; follow the link below for part 2:
1.1 Why?
Because.
example.com
Teamwork
1.2 How?
Like this:
• one
• two
Some feelings about 1.3
The answer to the third question.
7.1 Not this unit's question
Text under 7.1.
1.2 How, again?
More text.
All the best!
Comments
Bob said: great.
"""


@pytest.fixture
def u1(db):
    unit = Unit.objects.create(code="U1", slug="u1", title="Unit one")
    for n in (1, 2, 3):
        unit.criteria.create(code=f"1.{n}", outcome="LO1", question=f"Question {n}?")
    return unit


def parsed(text, unit):
    return documents.parse(text, documents.unit_facts(unit, "en"))


def test_general_rules_flag_each_kind_of_furniture(u1):
    draft = parsed(GUIDE, u1)
    kinds = {line.text: (line.kind, line.reason or line.code) for line in draft.lines}
    assert kinds["Updated: 3 May 2020"] == (Kind.FURNITURE, "page-label")
    assert kinds["My guide to unit U1"] == (Kind.FURNITURE, "title")
    assert kinds["By Jane Doe"] == (Kind.FURNITURE, "byline")
    assert kinds["Introduction:"][0] == Kind.INTRODUCTION_LABEL
    assert kinds["This is part 1; follow the link below for part 2:"] == (
        Kind.FURNITURE,
        "other-part",
    )
    assert kinds["example.com"] == (Kind.FURNITURE, "picture-credit")
    assert kinds["Teamwork"] == (Kind.FURNITURE, "section")
    assert kinds["1.1 Why?"] == (Kind.CRITERION, "1.1")
    assert kinds["Some feelings about 1.3"] == (Kind.HEADING, "proposed")
    assert kinds["7.1 Not this unit's question"] == (Kind.HEADING, "not-in-unit")
    assert kinds["1.2 How, again?"] == (Kind.HEADING, "twice")
    assert kinds["All the best!"] == (Kind.FURNITURE, "sign-off")
    assert kinds["Comments"] == kinds["Bob said: great."] == (Kind.FURNITURE, "after-end")
    intro = next(line for line in draft.lines if line.text.startswith("This guide answers"))
    assert [piece.reason for piece in intro.pieces] == ["", "comment"]
    reasons = {line.text: line.reason_text for line in draft.lines}
    assert "unit U1 has no criterion 7.1" in reasons["7.1 Not this unit's question"]
    assert "first on line 11" in reasons["1.2 How, again?"]


def test_default_decisions_drop_furniture_and_leave_out_foreign_numbers(u1):
    assembled = documents.assemble(parsed(GUIDE, u1))
    assert assembled.introduction == ["This guide answers the criteria of unit U1."]
    assert {code: a.question for code, a in assembled.answers.items()} == {
        "1.1": "Why?",
        "1.2": "How?",
        "1.3": "Some feelings about 1.3",
    }
    assert assembled.answers["1.1"].body == "Because."
    assert assembled.answers["1.2"].body == "Like this:\n\n- one\n- two"
    # "7.1" and the second "1.2" are left out with the text under them, until the end.
    assert assembled.answers["1.3"].body == "The answer to the third question."


def test_a_foreign_number_can_be_assigned_to_a_criterion(u1):
    draft = parsed(GUIDE, u1)
    foreign = next(line for line in draft.headings if line.text.startswith("7.1"))
    again = next(line for line in draft.headings if line.text.startswith("1.2 How, again"))
    assembled = documents.assemble(draft, {foreign.key: "1.3", again.key: documents.AS_TEXT})
    assert assembled.answers["1.3"].lines == [
        "The answer to the third question.",
        "Text under 7.1.",
        "1.2 How, again?",
        "More text.",
    ]


def test_a_sentence_starting_with_a_number_is_text(u1):
    assembled = documents.assemble(parsed("1.1 Why?\n7.5 million people were asked.\nSo.\n", u1))
    assert assembled.answers["1.1"].lines == ["7.5 million people were asked.", "So."]


def test_an_unnumbered_heading_matching_a_question_is_that_criterion(u1):
    text = "1.1 Why?\nBecause.\nQuestion 2\nLike so.\n"
    draft = parsed(text, u1)  # English: the criteria's own questions
    assert [line.code for line in draft.lines if line.kind == Kind.CRITERION] == ["1.1", "1.2"]


def test_an_unmatched_heading_is_the_admins_to_assign(u1):
    u1.criteria.create(code="1.4", outcome="LO1", question="Question 4?")
    text = "1.1 Why?\nBecause.\nA heading of its own\nSome text.\n1.4 Four?\nFour.\n"
    draft = parsed(text, u1)
    heading = draft.headings[0]
    assert (heading.reason, heading.default) == ("unmatched", documents.AS_TEXT)
    assert documents.assemble(draft).answers["1.1"].lines == [
        "Because.",
        "A heading of its own",
        "Some text.",
    ]
    chosen = documents.assemble(draft, {heading.key: "1.2"})
    assert chosen.answers["1.2"].question == "A heading of its own"


def test_markdown_in_the_text_is_kept_as_text(u1):
    assembled = documents.assemble(parsed("1.1 Why?\n# not a heading\n> nor a quote\n", u1))
    assert assembled.answers["1.1"].body == "\\# not a heading\n\n\\> nor a quote"


def test_a_document_without_a_criterion_of_the_unit_is_refused(u1):
    with pytest.raises(DocumentError, match="No criterion of unit U1 was found"):
        parsed("A guide to something else.\n4.1 Another unit's question\nText.\n", u1)


def test_a_unit_without_criteria_is_refused(db):
    empty = Unit.objects.create(code="E1", slug="e1", title="Empty")
    with pytest.raises(DocumentError, match="Unit E1 has no criteria yet"):
        documents.parse("1.1 Why?\nBecause.\n", documents.unit_facts(empty, "en"))


def test_the_parse_needs_no_database():
    facts = UnitFacts("X", ["1.1"], {})
    draft = documents.parse("1.1 Q\nA.\n", facts)
    assert documents.assemble(draft).answers["1.1"].body == "A."


# --- Reading files -------------------------------------------------------------------


def docx_bytes(lines: list[str]) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def rezip(data: bytes, change) -> bytes:
    """A copy of a zip with change(name, bytes) -> bytes | None applied to each member."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            changed = change(info.filename, source.read(info))
            if changed is not None:
                target.writestr(info.filename, changed, zipfile.ZIP_DEFLATED)
    return out.getvalue()


@needs_seeds
def test_a_docx_of_the_korean_seed_gives_the_same_draft(content):
    data = docx_bytes(seed_text(KOREAN).split("\n"))
    text = documents.read_document("guide.docx", data)
    _, got = draft_objects(text, "F3", "ko")
    assert_same_objects(got, fixture_content("unit-f3.json", "ko"))


def test_docx_list_paragraphs_become_bullets(u1):
    document = docx.Document()
    document.add_paragraph("1.1 Why?")
    document.add_paragraph("Because:")
    document.add_paragraph("one", style="List Bullet")
    document.add_paragraph("two", style="List Bullet")
    stream = io.BytesIO()
    document.save(stream)
    text = documents.read_document("g.docx", stream.getvalue())
    assert documents.assemble(parsed(text, u1)).answers["1.1"].body == "Because:\n\n- one\n- two"


@needs_seeds
@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),  # with its byte-order mark
        lambda text: text.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "crlf"],
)
def test_utf8_utf16_with_a_bom_and_windows_line_ends_are_read(content, encode):
    text = documents.read_document("guide.txt", encode(seed_text(KOREAN)))
    _, got = draft_objects(text, "F3", "ko")
    assert_same_objects(got, fixture_content("unit-f3.json", "ko"))


def macro_docx() -> bytes:
    return rezip(
        docx_bytes(["1.1 Why?", "Because."]),
        lambda name, data: (
            data.replace(
                b"wordprocessingml.document.main+xml",
                b"ms-word.document.macroEnabled.main+xml",
            )
            if name == "[Content_Types].xml"
            else data
        ),
    )


def vba_docx() -> bytes:
    data = docx_bytes(["1.1 Why?", "Because."])
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("word/vbaProject.bin", b"\x00" * 100)
    return out.getvalue()


def bomb_docx(size: int) -> bytes:
    data = docx_bytes(["1.1 Why?", "Because."])
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/zeros.bin", b"\x00" * size)
    return out.getvalue()


BAD_FILES = {
    "too large": ("guide.txt", lambda: b"x" * (documents.MAX_UPLOAD_BYTES + 1), "at most 5"),
    "macros in the content types": ("guide.docx", macro_docx, "contains macros"),
    "a vbaProject.bin": ("guide.docx", vba_docx, "contains macros"),
    "a .docm name": ("guide.docm", lambda: docx_bytes(["x"]), "contains macros"),
    "encrypted (OLE2)": (
        "guide.docx",
        lambda: documents.OLE2_MAGIC + b"\x00" * 600,
        "password-protected",
    ),
    "an old .doc": ("guide.doc", lambda: documents.OLE2_MAGIC + b"\x00" * 600, "old Word"),
    "a corrupt zip": ("guide.docx", lambda: b"PK\x03\x04" + b"\x13" * 400, "damaged"),
    "a zip bomb (ratio)": ("guide.docx", lambda: bomb_docx(8 * 1024 * 1024), "refused unread"),
    "a zip bomb (size)": ("guide.docx", lambda: bomb_docx(60 * 1024 * 1024), "refused unread"),
    "Windows-1251": ("guide.txt", lambda: "3.1 Како?\nОво.".encode("cp1251"), "save it as UTF-8"),
    "EUC-KR": ("guide.txt", lambda: "3.1 어떻게?\n이렇게.".encode("euc-kr"), "save it as UTF-8"),
    "GBK": ("guide.txt", lambda: "4.1确定\n质量。".encode("gbk"), "save it as UTF-8"),
    "UTF-16 without a BOM": ("guide.txt", lambda: "3.1 Q\nA".encode("utf-16-le"), "UTF-8"),
    "a PDF": ("guide.pdf", lambda: b"%PDF-1.4 ...", "Only Word documents"),
    "empty": ("guide.txt", lambda: b"  \n\n", "no text"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_with_a_sentence(case):
    name, make, message = BAD_FILES[case]
    with pytest.raises(DocumentError) as refused:
        documents.read_document(name, make())
    assert message in str(refused.value)


# --- The admin pages -----------------------------------------------------------------


@pytest.fixture
def ada(db):
    """A member of the Admin group: staff with the content and import permissions."""
    return make_user("ada", ADMIN, is_staff=True)


def upload_data(unit_code="F3", language="ko", name=KOREAN, data=None, attribution=""):
    unit = Unit.objects.get(code=unit_code)
    data = seed_text(name).encode("utf-8") if data is None else data
    return {
        "document": SimpleUploadedFile(name, data, content_type="text/plain"),
        "unit": unit.pk,
        "language": language,
        "attribution": attribution,
    }


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode())[1]


def valid_fixture(text: str) -> int:
    """Load the staged JSON as loaddata would, validating every object, and roll back."""
    count = 0
    with transaction.atomic():
        for deserialized in serializers.deserialize("json", text):
            deserialized.object.full_clean()
            deserialized.save()
            count += 1
        transaction.set_rollback(True)
    return count


@needs_seeds
def test_upload_review_continue_stages_a_valid_fixture(client, content, ada):
    client.force_login(ada)
    # A language new to the unit.
    ModelAnswer.objects.filter(language="ko").delete()
    UnitIntroduction.objects.filter(language="ko").delete()
    response = client.post(reverse(UPLOAD), upload_data(attribution="Someone, translated"))
    assert response.status_code == 200
    page = response.content.decode()
    # Side by side: the source line and what it becomes, flagged lines with their reason.
    assert "blog.taskrabbit.com" in page
    for reason in ("picture-credit", "section", "comment", "sign-off", "other-part"):
        assert escape(str(documents.REASONS[reason])) in page
    assert "Answer to 3.10" in page
    assert ContentImport.objects.count() == 0  # nothing staged by reading
    response = client.post(reverse(STAGE), {"token": token_of(response)})
    staged = ContentImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == staged.preview_url()
    assert (staged.kind, staged.state, staged.created_by) == ("content", "staged", ada)
    assert staged.file_names == [f"{KOREAN} → F3 [ko].json"]
    assert KOREAN in staged.origin
    text = staged.files[0]["text"]
    expected = fixture_content("unit-f3.json", "ko")
    for obj in expected:
        obj["fields"]["attribution"] = "Someone, translated"
    assert_same_objects(json.loads(text), expected)
    assert valid_fixture(text) == 11
    assert client.get(staged.preview_url()).status_code == 200


@needs_seeds
def test_the_admins_choices_are_applied_and_shown_again(client, content, ada):
    client.force_login(ada)
    response = client.post(reverse(UPLOAD), upload_data())
    token = token_of(response)
    _, expected = draft_objects(seed_text(KOREAN), "F3", "ko")
    draft = documents.parse(
        seed_text(KOREAN), documents.unit_facts(Unit.objects.get(code="F3"), "ko")
    )
    credit = next(line for line in draft.lines if line.text == "themana.gr")
    response = client.post(reverse(REVIEW), {"token": token, "keep": [credit.key]})
    assert response.status_code == 200
    assert re.search(rf'value="{credit.key}"[^>]*checked', response.content.decode())
    client.post(reverse(STAGE), {"token": token, "keep": [credit.key]})
    staged = json.loads(ContentImport.objects.get().files[0]["text"])
    intro = next(o for o in staged if o["model"] == "units.unitintroduction")
    assert intro["fields"]["body"].endswith("\n\nthemana.gr")
    # The existing attribution is kept when none is given.
    assert {o["fields"]["attribution"] for o in staged} == {expected[0]["fields"]["attribution"]}


@needs_seeds
def test_a_heading_assigned_on_the_review_page(client, content, ada):
    client.force_login(ada)
    ModelAnswer.objects.filter(language="zh-Hans").delete()
    response = client.post(
        reverse(UPLOAD), upload_data("A/601/2550", "zh-Hans", CHINESE, attribution="L")
    )
    page = response.content.decode()
    assert "proposed" in page
    keys = re.findall(r'name="(assign-h\d+)"', page)
    assert len(keys) == 2
    choices = {keys[0]: documents.AS_TEXT, keys[1]: "6.2"}
    response = client.post(reverse(STAGE), {"token": token_of(response), **choices})
    staged = json.loads(ContentImport.objects.get().files[0]["text"])
    codes = [
        o["fields"]["learning_outcome"][1] for o in staged if "learning_outcome" in o["fields"]
    ]
    assert codes == ["4.1", "4.2", "5.1", "5.2", "5.3", "6.1", "6.2", "6.3"]


def test_a_choice_outside_the_parse_is_refused(client, u1, ada):
    client.force_login(ada)
    response = client.post(
        reverse(UPLOAD),
        {
            "document": SimpleUploadedFile("g.txt", GUIDE.encode()),
            "unit": u1.pk,
            "language": "en",
        },
    )
    token = token_of(response)
    heading = re.findall(r'name="(assign-h\d+)"', response.content.decode())[0]
    response = client.post(reverse(STAGE), {"token": token, heading: "9.9", "keep": ["f999"]})
    assert response.status_code == 400
    assert "A choice on this page was not one it offers" in response.content.decode()
    assert ContentImport.objects.count() == 0


@pytest.mark.parametrize("who", ["tampered", "someone else", "expired", "deleted unit"])
def test_a_token_not_made_for_this_admin_stages_nothing(client, u1, ada, who, monkeypatch):
    payload = {"user": ada.pk, "unit": u1.pk, "language": "en", "name": "g.txt",
               "attribution": "", "text": "1.1 Why?\nBecause.\n"}  # fmt: skip
    token = signing.dumps(payload, salt=TOKEN_SALT, compress=True)
    if who == "tampered":
        token = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    elif who == "someone else":
        token = signing.dumps({**payload, "user": ada.pk + 100}, salt=TOKEN_SALT)
    elif who == "expired":
        then = signing.b62_encode(int(time.time()) - (REVIEW_HOURS * 3600 + 60))
        monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: then)
        token = signing.dumps(payload, salt=TOKEN_SALT, compress=True)
        monkeypatch.undo()
    elif who == "deleted unit":
        u1.delete()
    client.force_login(ada)
    response = client.post(reverse(STAGE), {"token": token}, follow=True)
    assert str(EXPIRED_MESSAGE) in response.content.decode()
    assert ContentImport.objects.count() == 0


@needs_seeds
def test_a_docx_upload_through_the_page(client, content, ada):
    client.force_login(ada)
    data = docx_bytes(seed_text(KOREAN).split("\n"))
    response = client.post(reverse(UPLOAD), upload_data(name="guide.docx", data=data))
    assert response.status_code == 200
    client.post(reverse(STAGE), {"token": token_of(response)})
    staged = json.loads(ContentImport.objects.get().files[0]["text"])
    assert_same_objects(staged, fixture_content("unit-f3.json", "ko"))


PAGE_REFUSALS = {
    "windows-1251": (lambda: "3.1 Како?\nОво.".encode("cp1251"), "save it as UTF-8", 400),
    "encrypted": (lambda: documents.OLE2_MAGIC + b"\x00" * 600, "password-protected", 400),
    "macros": (macro_docx, "contains macros", 400),
    "no criterion": (lambda: b"Nothing here.\n9.9 Other\nText.\n", "No criterion of unit", 400),
    # Over the limit by less than a form's overhead: read, and refused by its size.
    "just too large": (lambda: b"x" * (documents.MAX_UPLOAD_BYTES + 1024), "at most 5", 400),
}


@needs_seeds
@pytest.mark.parametrize("case", sorted(PAGE_REFUSALS))
def test_bad_uploads_say_why_and_stage_nothing(client, content, ada, case):
    make, message, status = PAGE_REFUSALS[case]
    client.force_login(ada)
    name = "guide.docx" if case in ("encrypted", "macros") else "guide.txt"
    response = client.post(reverse(UPLOAD), upload_data(name=name, data=make()))
    assert response.status_code == status
    assert message in response.content.decode()
    assert ContentImport.objects.count() == 0


class Unreadable(io.RawIOBase):
    def readable(self):
        return True

    def read(self, size=-1):
        raise AssertionError("the body of a refused upload was read")

    readinto = read


def test_a_50_mb_upload_is_refused_without_being_read(client, u1, ada):
    client.force_login(ada)
    size = 50 * 1024 * 1024
    response = client.generic(
        "POST",
        reverse(UPLOAD),
        CONTENT_TYPE="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(size),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    assert "The file is 50.0" in response.content.decode()
    assert ContentImport.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("unit", "999999", "That unit is not in the bank"),
        ("language", "de", "The bank does not hold answers in that language"),
    ],
)
def test_a_unit_or_language_that_does_not_exist_is_refused(client, u1, ada, field, value, message):
    client.force_login(ada)
    data = {
        "document": SimpleUploadedFile("g.txt", GUIDE.encode()),
        "unit": u1.pk,
        "language": "en",
        field: value,
    }
    response = client.post(reverse(UPLOAD), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ContentImport.objects.count() == 0


# --- Who may -------------------------------------------------------------------------


@pytest.mark.parametrize("name", [UPLOAD, REVIEW, STAGE])
def test_anonymous_people_are_sent_to_sign_in(client, name):
    response = client.post(reverse(name)) if name != UPLOAD else client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("name", [UPLOAD, REVIEW, STAGE])
@pytest.mark.parametrize("role", ["alice", "carol"])
def test_candidates_and_assessors_are_not_let_in(client, people, name, role):
    # Not staff: the admin sends them to its sign-in, as for every admin page.
    client.force_login(people[role])
    response = client.post(reverse(name)) if name != UPLOAD else client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("name", [UPLOAD, REVIEW, STAGE])
def test_staff_without_the_content_permissions_get_403(client, name):
    client.force_login(make_user("vic", is_staff=True))
    response = client.post(reverse(name)) if name != UPLOAD else client.get(reverse(name))
    assert response.status_code == 403


def test_the_admin_group_and_superusers_get_the_upload_page(client, people, ada):
    for person in (ada, people["admin"]):
        client.force_login(person)
        response = client.get(reverse(UPLOAD))
        assert response.status_code == 200
        assert "Study guide" in response.content.decode()


def test_the_unit_list_links_to_the_page(client, ada):
    client.force_login(ada)
    response = client.get(reverse("admin:units_unit_changelist"))
    assert reverse(UPLOAD) in response.content.decode()


# --- Query counts --------------------------------------------------------------------


def test_upload_page_queries(client, ada, u1, django_assert_max_num_queries):
    client.force_login(ada)
    with django_assert_max_num_queries(8):
        assert client.get(reverse(UPLOAD)).status_code == 200


@needs_seeds
@pytest.mark.parametrize(("seed", "unit_code", "language"), [
    (KOREAN, "F3", "ko"), (CHINESE, "A/601/2550", "zh-Hans"),
])  # fmt: skip
def test_review_and_stage_queries_do_not_grow_with_the_document(
    client, content, ada, seed, unit_code, language, django_assert_max_num_queries
):
    client.force_login(ada)
    data = upload_data(unit_code, language, seed)
    with django_assert_max_num_queries(8):
        response = client.post(reverse(UPLOAD), data)
    assert response.status_code == 200
    token = token_of(response)
    with django_assert_max_num_queries(8):
        assert client.post(reverse(REVIEW), {"token": token}).status_code == 200
    # Staging also looks for the same draft already waiting (a form posted twice).
    with django_assert_max_num_queries(9):
        assert client.post(reverse(STAGE), {"token": token}).status_code == 302


def test_the_longest_text_fits_in_the_review_form(settings):
    # The review page posts the text back in its token: even random Han characters,
    # which compress worst, stay within what Django accepts in one form.
    rng = random.Random(14)  # noqa: S311 (test data, not a secret)
    text = "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(documents.MAX_TEXT_CHARS))
    token = signing.dumps({"text": text}, salt=TOKEN_SALT, compress=True)
    assert len(token) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE * 0.6


def test_a_hostile_file_name_is_shown_as_text(client, u1, ada):
    client.force_login(ada)
    name = "<img src=x onerror=alert(1)>\u202etxt.exe.txt"
    data = {"document": SimpleUploadedFile(name, GUIDE.encode()), "unit": u1.pk, "language": "en"}
    response = client.post(reverse(UPLOAD), data)
    page = response.content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;txt.exe.txt" in page
    assert "\u202e" not in page
    client.post(reverse(STAGE), {"token": token_of(response)})
    staged = ContentImport.objects.get()
    assert staged.file_names == ["<img src=x onerror=alert(1)>txt.exe.txt → U1 [en].json"]


# --- Documents no study guide is: refused before their lines are shown ---------------

HOSTILE = {
    # Each short line would be a heading with a choice of every criterion.
    "190,000 one-letter lines": ("1.1 Identify\n" + "a\n" * 190_000, 190_001),
    "49,000 numbered lines": (
        "1.1 Identify\n" + "".join(f"{n % 7 + 1}.1 / b\n" for n in range(49_000)),
        49_001,
    ),
    "15,000 comment invitations": ("1.1 Identify\n" + "Leave a comment below\n" * 15_000, 15_001),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_document_with_more_lines_than_a_guide_is_refused_at_once(client, content, ada, case):
    text, lines = HOSTILE[case]
    client.force_login(ada)
    unit = Unit.objects.get(code="A/601/2550")
    data = {
        "document": SimpleUploadedFile("g.txt", text.encode()),
        "unit": unit.pk,
        "language": "en",
    }
    started = time.perf_counter()
    response = client.post(reverse(UPLOAD), data)
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    page = response.content.decode()
    assert escape(documents.too_many_lines_message(lines)) in page
    assert f"The document has {lines:,} lines of text; a study guide has at most 5,000." in page
    assert "assign-h" not in page  # no review rows
    assert ContentImport.objects.count() == 0
    assert elapsed < 5  # about 0.1 s; it took minutes before the limit


def headings_guide(count: int) -> str:
    """A guide to U1 with `count` unnumbered headings after 1.1 for the admin to assign."""
    return "1.1 Why?\nBecause.\n" + "".join(f"Heading {n}\nText {n}.\n" for n in range(count))


def test_a_document_with_more_decisions_than_a_page_holds_is_refused(client, u1, ada):
    client.force_login(ada)
    data = {
        "document": SimpleUploadedFile("g.txt", headings_guide(401).encode()),
        "unit": u1.pk,
        "language": "en",
    }
    response = client.post(reverse(UPLOAD), data)
    assert response.status_code == 400
    assert escape(documents.too_many_decisions_message(401)) in response.content.decode()
    assert "The document has 401 headings and flagged lines to decide on" in (
        response.content.decode()
    )
    assert ContentImport.objects.count() == 0


def test_the_longest_review_renders_quickly_with_every_choice(client, u1, ada):
    client.force_login(ada)
    data = {
        "document": SimpleUploadedFile("g.txt", headings_guide(400).encode()),
        "unit": u1.pk,
        "language": "en",
    }
    started = time.perf_counter()
    response = client.post(reverse(UPLOAD), data)
    elapsed = time.perf_counter() - started
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<select name="assign-h') == 400
    assert page.count('<option value="1.2">') == 400
    assert page.count('<option value="text" selected>') == 400  # the default: text
    assert elapsed < 5  # about 0.2 s
    token = token_of(response)
    started = time.perf_counter()
    response = client.post(reverse(REVIEW), {"token": token, "assign-h4": "1.2"})
    assert time.perf_counter() - started < 5
    assert '<option value="1.2" selected>' in response.content.decode()
    assert response.content.decode().count('<option value="1.2" selected>') == 1


def test_the_parse_refuses_before_classifying_lines():
    facts = UnitFacts("X", ["1.1"], {})
    with pytest.raises(DocumentError, match="at most 5,000"):
        documents.parse("1.1 Q\n" + "x\n\n" * documents.MAX_LINES, facts)
    # Blank lines are not counted.
    assert documents.parse("1.1 Q\n" + "\n" * 20_000 + "A.\n", facts).lines


# --- Uploads over the limit are refused unread, on every upload page ----------------

LARGE_UPLOADS = {
    "study guide": (UPLOAD, "The file is 50.0\xa0MB"),
    "fixtures": ("admin:units_unit_import", "The upload is 50.0\xa0MB; at most 20.0\xa0MB"),
    "enrolments CSV": (
        "admin:units_enrolment_import",
        "The upload is 50.0\xa0MB; at most 976.6\xa0KB",
    ),
}


@pytest.mark.parametrize("case", sorted(LARGE_UPLOADS))
def test_a_50_mb_request_to_any_upload_page_is_refused_unread(client, u1, ada, case):
    name, sentence = LARGE_UPLOADS[case]
    client.force_login(ada)
    response = client.generic(
        "POST",
        reverse(name),
        CONTENT_TYPE="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    assert escape(sentence) in response.content.decode()
    assert ContentImport.objects.count() == 0


# --- Staging the same files again gives the import already waiting ------------------


def test_posting_the_stage_again_gives_the_same_import(client, u1, ada):
    client.force_login(ada)
    data = {
        "document": SimpleUploadedFile("g.txt", GUIDE.encode()),
        "unit": u1.pk,
        "language": "en",
    }
    token = token_of(client.post(reverse(UPLOAD), data))
    first = client.post(reverse(STAGE), {"token": token})
    again = client.post(reverse(STAGE), {"token": token})
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == ContentImport.objects.get().preview_url()
    # Other choices make another draft: a new import.
    furniture = parsed(GUIDE, u1).flagged[0].key
    kept = client.post(reverse(STAGE), {"token": token, "keep": [furniture]})
    assert kept["Location"] != first["Location"]
    assert ContentImport.objects.count() == 2


def test_uploading_the_same_fixtures_twice_stages_them_once(client, db, ada):
    client.force_login(ada)
    files = [("unit-f3.json", (FIXTURE_DIR / "unit-f3.json").read_bytes())]

    def upload_fixtures():
        return client.post(
            reverse("admin:units_unit_import"),
            {"files": [SimpleUploadedFile(n, d, "application/json") for n, d in files]},
        )

    first, again = upload_fixtures(), upload_fixtures()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert ContentImport.objects.filter(state="staged").count() == 1
    # Once that one is discarded, the same files are staged anew.
    ContentImport.objects.update(state=ContentImport.State.DISCARDED)
    assert upload_fixtures()["Location"] != first["Location"]
    assert ContentImport.objects.filter(state="staged").count() == 1


def test_staging_is_shared_only_for_the_same_person_kind_and_files(db, ada):
    other = make_user("otto", ADMIN, is_staff=True)
    kind = ContentImport.Kind.CONTENT
    staged = ContentImport.objects.stage(ada, kind, [("a.json", "[]")])
    assert ContentImport.objects.stage(ada, kind, [("a.json", "[]")]) == staged
    assert ContentImport.objects.stage(other, kind, [("a.json", "[]")]) != staged
    assert ContentImport.objects.stage(ada, kind, [("b.json", "[]")]) != staged
    assert ContentImport.objects.stage(ada, kind, [("a.json", "[ ]")]) != staged
    assert ContentImport.objects.stage(ada, ContentImport.Kind.ENROLMENTS, [("a.json", "[]")]) != (
        staged
    )
    assert ContentImport.objects.count() == 6 - 1


@pytest.mark.parametrize("case", sorted(LARGE_UPLOADS))
def test_the_upload_pages_still_check_the_csrf_token(u1, ada, case):
    # The pages check the token themselves, after the size: without it, 403.
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    name, _ = LARGE_UPLOADS[case]
    response = client.post(reverse(name), {"x": "y"})
    assert response.status_code == 403
    assert ContentImport.objects.count() == 0
