"""Turning a study guide into a draft of one unit's content in one language.

A study guide (plain text, or a .docx) holds the model answers to a unit's
criteria, an introduction for candidates, and the furniture of the web page it
was copied from. `parse()` reads it line by line against what the bank knows of
the unit, and says what each line is:

- the table of contents (a list at the top whose entries come back as
  headings): skipped;
- a criterion's heading: by number ("3.1 Question", "4.1Question"), or by its
  text where it has no number: the unit's question in that language if the bank
  has one, else the admin chooses (and where exactly one criterion of the unit
  lies between the criteria around it, that one is proposed);
- answer text, split at the headings; before the first criterion, the
  introduction;
- page furniture, flagged with a reason for the admin to keep or drop (dropped
  unless kept): links to other parts, comment invitations, bylines and page
  labels, picture credits (bare domain names), titles, section headings between
  answers, the sign-off and everything after it.

`assemble()` applies the admin's decisions (or the defaults) and gives each
criterion's question and Markdown body and the introduction; `fixture_objects()`
writes them in the shape of fixtures/*.json, to be validated, previewed and
loaded like any fixture. `read_document()` turns uploaded bytes into text or
refuses them with a sentence saying why.

tools/build_fixtures.py builds the committed fixtures with these same rules, so
nothing here may need Django to be set up: the database is read only in
`unit_facts()`.
"""

import io
import re
import zipfile
from dataclasses import dataclass, field

from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy, ngettext_lazy

from .text import clean_text

# --- Limits -----------------------------------------------------------------------

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A study guide's text is tens of thousands of characters; the text travels
# signed in the review form, so it is kept well under the request limit.
MAX_TEXT_CHARS = 400_000
# A .docx is a zip: refuse one that would unpack to more than this, or with
# members compressed more than a text can be (a zip bomb), before reading it.
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000
MAX_COMPRESSION_RATIO = 200
MAX_HEADING_CHARS = 250  # a numbered heading longer than this is a sentence
# A study guide has a few hundred lines, and a few dozen of them to decide on. More
# is not a guide (a log, a list, a page of comments pasted in), and its review page
# would be too long to read or to post back (DATA_UPLOAD_MAX_NUMBER_FIELDS is 1,000):
# such a document is refused before its lines are classified or shown.
MAX_LINES = 5_000  # lines that are not blank
MAX_DECISIONS = 400  # headings to assign and flagged lines or sentences to keep

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


class DocumentError(Exception):
    """A document that cannot be turned into a draft; the message says why and what to do."""


# --- The phrases page furniture is recognised by -----------------------------------
# Lower-case, matched in lower-cased text. One list for all languages: a guide in
# one language often keeps another's phrases, and a phrase of one language does
# not occur by chance in another. Add a language's phrases here (docs/documents.md).

CONTENTS_LABELS = {
    "contents", "table of contents", "преглед садржаја", "садржај", "sadržaj",
    "pregled sadržaja", "차례", "목차", "目录", "目錄", "tartalom", "tartalomjegyzék",
    "spis treści", "cuprins", "съдържание", "turinys", "índice", "indice", "contenido",
    "зміст", "المحتويات", "فہرست",
}  # fmt: skip
INTRODUCTION_LABELS = {
    "introduction", "intro", "увод", "uvod", "소개", "서론", "简介", "介绍", "引言",
    "bevezetés", "bevezető", "wstęp", "wprowadzenie", "introducere", "въведение",
    "įvadas", "introdução", "introducción", "вступ", "مقدمة", "تعارف",
}  # fmt: skip
# "Updated:", "Author:" and the like: the web page's labels, alone or with a short value.
PAGE_LABELS = {
    "updated", "last updated", "author", "posted", "posted on", "published", "date",
    "ажурирано", "аутор", "објављено", "ažurirano", "autor", "objavljeno", "更新日期", "更新",
    "作者", "发布", "发布日期", "업데이트", "작성자", "글쓴이", "frissítve", "szerző",
    "zaktualizowano", "actualizat", "актуализирано", "atnaujinta", "atualizado",
    "actualizado", "оновлено", "автор",
}  # fmt: skip
AUTHOR_LABELS = {"author", "аутор", "autor", "作者", "작성자", "글쓴이", "szerző", "автор"}
BYLINE_STARTS = ("by ", "written by ", "posted by ", "about the author")
LINK_PHRASES = (
    "link below", "following link", "click here", "follow the link", "use the link",
    "link above", "доњу везу", "доња веза", "линк испод", "везу испод", "следећи линк",
    "donju vezu", "link ispod", "vezu ispod", "poveznicu ispod", "donju poveznicu",
    "아래 링크", "링크를 따르", "링크를 클릭", "下面的链接", "以下链接", "点击链接",
    "下面的連結", "alábbi link", "lenti link", "alábbi hivatkoz", "poniższy link",
    "link poniżej", "linkul de mai jos", "връзката по-долу", "линка по-долу",
    "nuorodą žemiau", "link abaixo", "enlace de abajo", "enlace a continuación",
    "посилання нижче", "الرابط أدناه", "نیچے دیے گئے لنک",
)  # fmt: skip
# Another part of the same guide ("part 2", "2. део", "第一部分", "-2 부", "… – II").
OTHER_PART = re.compile(
    r"\bpart\s+(?:[1-9]|one|two|three|i{1,3})\b|\b(?:first|second|third)\s+part\b"
    r"|\d\.?\s*(?:део|дио|deo|dio|rész|dalis)\b|(?:први|други|трећи)\s+(?:део|дио)"
    r"|(?:prvi|drugi|treći)\s+(?:deo|dio)|\d\s*부(?:\s|$)|(?:첫|두|세)\s*번째\s*부분"
    r"|第[一二三四五六七八九1-9]部分|\b(?:część|parte|partea|част|частина)\s+\d"
    r"|\b(?:első|második|harmadik)\s+rész|\b(?:pierwsza|druga)\s+część"
    r"|\b(?:primera|segunda|primeira)\s+parte|[-–—]\s*(?:I{1,3}|IV)$",
    re.IGNORECASE,
)
COMMENT_PHRASES = (
    "leave a comment", "comment below", "comments below", "in the comments",
    "drop a comment", "коментар испод", "оставите коментар", "остави коментар",
    "коментаришите", "komentar ispod", "ostavite komentar", "의견을 남겨", "댓글을 남겨",
    "留言", "发表评论", "评论区", "留下评论", "hagyj megjegyzést", "írj megjegyzést",
    "zostaw komentarz", "komentarz poniżej", "lăsați un comentariu", "оставете коментар",
    "palikite komentarą", "deixe um comentário", "deja un comentario",
    "deje un comentario", "залиште коментар", "اترك تعليق", "تبصرہ کریں",
)  # fmt: skip
# A closing that may be long ("I hope this helped … leave a comment"): at a line's start.
CLOSING_STARTS = (
    "i hope this helped", "i hope this helps", "hope this helps", "hope this helped",
    "i hope you found this", "надам се да вам је ово", "надам се да је ово",
    "nadam se da vam je ovo", "nadam se da je ovo", "이것이 당신에게 도움이",
    "도움이 되었기를", "도움이 되셨기를", "我希望这对你有帮助", "希望这对你有帮助",
    "希望对你有帮助", "remélem, hogy ez segített", "remélem, segített",
    "mam nadzieję, że to pomogło", "sper că v-a ajutat", "надявам се, че това",
    "espero que isso tenha ajudado", "espero que esto te haya ayudado",
    "сподіваюся, це допомогло",
)  # fmt: skip
# A short sign-off line ("All the best!", "Thank you."): at a line's start.
SIGN_OFF_STARTS = (
    "all the best", "best wishes", "kind regards", "best regards", "regards", "thank you",
    "thanks", "cheers", "good luck", "све најбоље", "срдачан поздрав", "хвала",
    "sve najbolje", "srdačan pozdrav", "hvala", "모두 제일 좋다", "행운을 빕니다",
    "감사합니다", "谢谢", "感谢", "祝你好运", "祝好", "minden jót", "köszönöm",
    "üdvözlettel", "wszystkiego najlepszego", "dziękuję", "pozdrawiam",
    "toate cele bune", "mulțumesc", "всичко най-добро", "благодаря", "viso geriausio",
    "ačiū", "tudo de bom", "obrigad", "todo lo mejor", "gracias", "saludos",
    "всього найкращого", "дякую", "مع أطيب التمنيات", "شكرا", "شکریہ",
)  # fmt: skip
SIGN_OFF_MAX_CHARS = 60
# Headings that open what follows an article: reader comments, related articles.
END_HEADINGS = {
    "comments", "reader comments", "related articles", "related posts", "коментари",
    "komentari", "повезани чланци", "povezani članci", "댓글", "관련 기사", "评论",
    "相关文章", "hozzászólások", "kapcsolódó cikkek", "komentarze", "comentarii",
    "коментар", "komentarai", "comentários", "comentarios", "коментарі",
}  # fmt: skip

# --- Shapes of lines ---------------------------------------------------------------

HEADING = re.compile(r"^(\d{1,3}\.\d{1,3}) ?(\S.*)$")  # "3.1 Question" or "4.1Question"
LIST_ITEM = re.compile(r"^[-*•◦▪·–]\s+")  # a list item; in answers, a bullet
BULLET = LIST_ITEM
# A bare domain name, as picture credits are left: "themana.gr", "тхемана.гр".
DOMAIN = re.compile(r"^(?:www\.)?(?:[^\W_][\w-]*\.)+[^\W\d_]{2,}/?$")
CREDIT = re.compile(r"^(?:image|photo|picture|source|фото|слика|사진|图片|图片来源)\s*[:：]")
LABEL = re.compile(r"^(?P<label>[^\W\d_][^:：]{0,20}?)\s*[:：]\s*(?P<value>.{0,60})$")
# A sentence ends at . ! ? … followed by a space, or at a CJK full stop; not at an
# ordinal's dot ("2. део", "3. rész"): a digit, a dot, then a lower-case letter.
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？])")
HEADING_ENDINGS = ".。:：;；,，、…"


def _low(text: str) -> str:
    return text.casefold()


def _bare(text: str) -> str:
    """A label's text without its colon, for comparing with the label lists."""
    return _low(text).rstrip(":： ").strip()


def _normalise(text: str) -> str:
    """Headings compared with questions: case, spaces and closing punctuation aside."""
    return " ".join(_low(text).split()).rstrip(".。?？!！:： ")


def _sentence_ends(text: str) -> list[int]:
    """Where each sentence of `text` but the last ends (the index after its spaces)."""
    ends = []
    for match in SENTENCE_END.finditer(text):
        at, after = match.start(), match.end()
        if after <= 0 or after >= len(text):
            continue
        ordinal = text[at - 1] == "." and at >= 2 and text[at - 2].isdigit()
        if ordinal and text[after].islower():
            continue
        ends.append(after)
    return ends


def heading_like(text: str) -> bool:
    """A short line that is not a sentence: a title, a heading, a question."""
    return (
        0 < len(text) <= 120
        and not LIST_ITEM.match(text)
        and text[-1] not in HEADING_ENDINGS
        and not _sentence_ends(text)
    )


def is_picture_credit(text: str) -> bool:
    return bool(DOMAIN.match(text) or CREDIT.match(_low(text)))


def _has(text: str, phrases) -> bool:
    low = _low(text)
    return any(phrase in low for phrase in phrases)


def _starts(text: str, phrases) -> bool:
    return _low(text).startswith(tuple(phrases))


def sentences(text: str) -> list[str]:
    """The sentences of a line, each with the spaces after it, so they join back to the line."""
    pieces, start = [], 0
    for end in _sentence_ends(text):
        if end > start:
            pieces.append(text[start:end])
            start = end
    pieces.append(text[start:])
    return [piece for piece in pieces if piece]


# --- Passages in another language ---------------------------------------------------
# In a guide written in another script, a passage in Latin letters that runs from a
# sentence's start to the end of its line, and reads as English, is English left in
# the source (as in the Chinese seed's 6.2): it is tagged "[passage]{lang=en}" so it is
# read, spoken and hyphenated as English (units/markdown.py).

NON_LATIN_LANGUAGES = {"sr-Cyrl", "ko", "zh-Hans", "bg", "uk", "ar", "ur"}
LATIN_CHARS = set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:'\"!?()-_/&%+*=#@$"
    "\u2018\u2019\u201c\u201d\u2013\u2014"
)
SENTENCE_ENDS = set(".!?。！？")
ENGLISH_WORDS = {
    "the", "and", "of", "to", "a", "an", "in", "is", "are", "we", "our", "it", "on", "for",
    "with", "that", "this", "there", "be", "has", "have", "every", "how", "or",
}  # fmt: skip
PASSAGE_MIN_WORDS = 5


def english_passage(text: str, language: str) -> int | None:
    """Where an English passage at the end of `text` starts, if `language` is written
    in another script; else None. Linear in the line's length."""
    if language not in NON_LATIN_LANGUAGES:
        return None
    start = len(text)
    while start > 0 and text[start - 1] in LATIN_CHARS:
        start -= 1
    # The passage starts where a sentence starts: the line's start or after a full stop.
    while start < len(text) and (
        text[start] == " " or (start > 0 and text[start - 1] not in SENTENCE_ENDS)
    ):
        start += 1
    passage = text[start:]
    words = [word.strip(".,;:!?()'\"\u2018\u2019\u201c\u201d").lower() for word in passage.split()]
    if (
        not passage[:1].isalpha()
        or len(words) < PASSAGE_MIN_WORDS
        or len(ENGLISH_WORDS.intersection(words)) < 2
    ):
        return None
    return start


def tag_passage(text: str, language: str) -> str:
    """The line with its English passage, if any, as "[passage]{lang=en}"."""
    start = english_passage(text, language)
    if start is None:
        return text
    passage = text[start:].rstrip()
    if "[" in passage or "]" in passage:  # it would not stay one span
        return text
    return f"{text[:start]}[{passage}]{{lang=en}}"


def criterion_key(code: str) -> tuple[int, int]:
    major, minor = code.split(".")
    return int(major), int(minor)


# --- What the parse says about each line -------------------------------------------


class Kind:
    BLANK = "blank"
    CONTENTS = "contents"  # the table of contents: skipped
    INTRODUCTION_LABEL = "introduction-label"  # "Introduction:": structure, not text
    CRITERION = "criterion"  # a criterion's heading: its answer starts here
    HEADING = "heading"  # a heading the admin assigns (or not) to a criterion
    FURNITURE = "furniture"  # flagged: dropped unless kept
    TEXT = "text"  # introduction or answer text


# Why a line (or a sentence) is flagged; the admin reads these beside it.
REASONS = {
    "picture-credit": gettext_lazy(
        "A picture credit (a site's name left where a picture was), not text of the guide."
    ),
    "page-label": gettext_lazy(
        "A label of the web page the guide was copied from (such as “Updated:” or "
        "“Author:”), not text of the guide."
    ),
    "byline": gettext_lazy(
        "The author's byline or biography: credit the author in the attribution instead."
    ),
    "other-part": gettext_lazy(
        "Points to another part of the guide or to a link, which is not copied here."
    ),
    "comment": gettext_lazy(
        "Invites readers to leave a comment: candidates have nowhere to comment on it here."
    ),
    "title": gettext_lazy(
        "A title or heading before the introduction: the unit's title is kept on the unit."
    ),
    "section": gettext_lazy(
        "A section heading between two answers (it belongs to neither answer)."
    ),
    "sign-off": gettext_lazy(
        "The sign-off: it and everything after it (disclaimers, reader comments, related "
        "articles) is not answer text."
    ),
    "after-end": gettext_lazy("After the sign-off: not answer text."),
}
HEADING_REASONS = {
    # Translators: %(code)s is a criterion code such as 7.1, %(unit)s a unit code such as F3.
    "not-in-unit": gettext_lazy(
        "Numbered %(code)s, but unit %(unit)s has no criterion %(code)s. Choose the "
        "criterion it answers, keep it as text of the answer above, or leave it out with "
        "the text under it."
    ),
    # Translators: %(code)s is a criterion code, %(line)s a line number.
    "twice": gettext_lazy(
        "Criterion %(code)s appears a second time (first on line %(line)s). Choose the "
        "criterion it answers, keep it as text of the answer above, or leave it out with "
        "the text under it."
    ),
    # Translators: %(code)s is a criterion code such as 4.3.
    "proposed": gettext_lazy(
        "A heading without a number where this unit's criterion %(code)s comes (the only "
        "criterion of the unit between the answers around it), so %(code)s is proposed: "
        "check that it is its question."
    ),
    "unmatched": gettext_lazy(
        "A heading without a number that is none of this unit's questions in this "
        "language. If it is a criterion's question, choose the criterion; otherwise it "
        "stays as text of the answer above."
    ),
}
# The choices for a heading besides a criterion code.
AS_TEXT = "text"
LEAVE_OUT = "drop"
KEEP, DROP = "keep", "drop"
END_KEY = "end"  # one decision for the sign-off and everything after it


@dataclass
class Piece:
    """A sentence of a text line that is flagged on its own (the rest of the line is text)."""

    key: str
    text: str
    reason: str = ""  # a key of REASONS; "" for an unflagged sentence


@dataclass
class Line:
    index: int  # 0-based; the keys of decisions are built from it
    text: str
    kind: str = Kind.TEXT
    code: str = ""  # CRITERION: its criterion; HEADING: the proposed one, if any
    question: str = ""  # CRITERION and HEADING: the question as written
    reason: str = ""  # FURNITURE: a key of REASONS; HEADING: a key of HEADING_REASONS
    reason_params: dict = field(default_factory=dict)
    key: str = ""  # FURNITURE and HEADING: the decision's key
    default: str = ""  # FURNITURE: "drop"; HEADING: a code, "text" or "drop"
    pieces: list[Piece] = field(default_factory=list)  # TEXT with flagged sentences

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def reason_text(self) -> str:
        if self.kind == Kind.HEADING:
            return str(HEADING_REASONS[self.reason]) % self.reason_params
        return str(REASONS[self.reason]) if self.reason else ""


@dataclass
class UnitFacts:
    """What the parse needs to know of the unit, in the document's language."""

    code: str
    criteria: list[str]  # its criterion codes, in order
    questions: dict[str, str] = field(default_factory=dict)  # code → question in the language
    attribution: str = ""  # of the unit's model answers in the language, if any
    language: str = ""  # the document's; "" when not known (no passages are tagged)
    english: dict[str, str] = field(default_factory=dict)  # code → the criterion's question


@dataclass
class Draft:
    facts: UnitFacts
    lines: list[Line]

    @property
    def flagged(self) -> list:
        """Every flagged line or sentence, in order: what the admin keeps or drops."""
        found = []
        for line in self.lines:
            if line.kind == Kind.FURNITURE and line.key:
                found.append(line)
            found.extend(piece for piece in line.pieces if piece.reason)
        return found

    @property
    def headings(self) -> list[Line]:
        return [line for line in self.lines if line.kind == Kind.HEADING]

    def default_decisions(self) -> dict[str, str]:
        decisions = {item.key: DROP for item in self.flagged}
        decisions.update({line.key: line.default for line in self.headings})
        return decisions

    def heading_choices(self) -> list[str]:
        return [*self.facts.criteria, AS_TEXT, LEAVE_OUT]


# --- Parsing -----------------------------------------------------------------------


def parse(text: str, facts: UnitFacts) -> Draft:
    """What each line of the document is; refuses a document with no criterion of the unit."""
    if not facts.criteria:
        raise DocumentError(
            gettext_lazy(
                "Unit %(unit)s has no criteria yet. Import its criteria first (Import "
                "units), then turn the guide into its answers."
            )
            % {"unit": facts.code}
        )
    raw_lines = clean_text(text).split("\n")
    filled = sum(1 for raw in raw_lines if raw.strip())
    if filled > MAX_LINES:
        raise DocumentError(too_many_lines_message(filled))
    lines = [Line(index, raw.strip()) for index, raw in enumerate(raw_lines)]
    for line in lines:
        if not line.text:
            line.kind = Kind.BLANK
    contents = _mark_contents(lines)
    _mark_criteria(lines, facts)
    found = [line for line in lines if line.kind == Kind.CRITERION]
    if not found:
        raise DocumentError(
            gettext_lazy(
                "No criterion of unit %(unit)s was found in this document. Each answer "
                "should start with its criterion's number and question on a line of its "
                "own, such as “%(example)s Question”."
            )
            % {"unit": facts.code, "example": facts.criteria[0]}
        )
    _mark_end(lines, found[-1].index)
    _mark_furniture(lines)
    _mark_headings(lines, facts, contents)
    _mark_sentences(lines)
    draft = Draft(facts, lines)
    decisions = len(draft.flagged) + len(draft.headings)
    if decisions > MAX_DECISIONS:
        raise DocumentError(too_many_decisions_message(decisions))
    return draft


def _count(number: int) -> str:
    return number_format(number, force_grouping=True)


def too_many_lines_message(count: int) -> str:
    return str(
        ngettext_lazy(
            "The document has %(count)s line of text; a study guide has at most %(limit)s. "
            "Split it into one document per unit, and leave out what is not the guide.",
            "The document has %(count)s lines of text; a study guide has at most %(limit)s. "
            "Split it into one document per unit, and leave out what is not the guide.",
            "number",
        )
        % {"number": count, "count": _count(count), "limit": _count(MAX_LINES)}
    )


def too_many_decisions_message(count: int) -> str:
    return str(
        ngettext_lazy(
            "The document has %(count)s heading or flagged line to decide on; a review "
            "page shows at most %(limit)s. Split it into one document per unit, and leave "
            "out what is not the guide (such as reader comments or lists of links).",
            "The document has %(count)s headings and flagged lines to decide on; a review "
            "page shows at most %(limit)s. Split it into one document per unit, and leave "
            "out what is not the guide (such as reader comments or lists of links).",
            "number",
        )
        % {"number": count, "count": _count(count), "limit": _count(MAX_DECISIONS)}
    )


def _mark_contents(lines: list[Line]) -> set[str]:
    """Mark a table of contents: a list near the top (with its label) whose entries
    come back later as lines of their own. Returns its entries without markers."""
    filled = [line for line in lines if line.kind != Kind.BLANK]
    later = {line.text: line.index for line in filled}
    for start, line in enumerate(filled):
        if HEADING.match(line.text) or start > 40:
            break  # the contents come before the first criterion
        if not LIST_ITEM.match(line.text):
            continue
        run = []
        for item in filled[start:]:
            if not LIST_ITEM.match(item.text):
                break
            run.append(item)
        entries = [LIST_ITEM.sub("", item.text) for item in run]
        echoed = [entry for entry in entries if later.get(entry, -1) > run[-1].index]
        if len(run) >= 2 and len(echoed) * 2 >= len(run):
            for item in run:
                item.kind = Kind.CONTENTS
            label = filled[start - 1] if start else None
            if label and (_bare(label.text) in CONTENTS_LABELS or label.text[-1] in ":："):
                label.kind = Kind.CONTENTS
            return set(entries)
        break
    # A label alone ("Contents:") with its entries missing is still not text.
    for line in filled[:5]:
        if _bare(line.text) in CONTENTS_LABELS:
            line.kind = Kind.CONTENTS
    return set()


def _mark_criteria(lines: list[Line], facts: UnitFacts) -> None:
    """Headings by number, and unnumbered headings that are the unit's question
    in this language."""
    known = set(facts.criteria)
    by_question = {_normalise(q): code for code, q in facts.questions.items() if q.strip()}
    seen: dict[str, Line] = {}
    for line in lines:
        if line.kind != Kind.TEXT:
            continue
        match = HEADING.match(line.text)
        if match and len(line.text) <= MAX_HEADING_CHARS:
            code, question = match.groups()
            code = ".".join(str(int(part)) for part in code.split("."))
        elif heading_like(line.text) and _normalise(line.text) in by_question:
            code, question = by_question[_normalise(line.text)], line.text
        else:
            continue
        if code in known and code not in seen:
            line.kind, line.code, line.question = Kind.CRITERION, code, question
            seen[code] = line
            continue
        if not heading_like(line.text):
            continue  # "1.5 million people were asked." is a sentence, not a heading
        line.question = question
        line.kind, line.key = Kind.HEADING, f"h{line.index}"
        line.default = LEAVE_OUT
        if code in seen:
            line.reason, line.reason_params = "twice", {"code": code, "line": seen[code].number}
        else:
            line.reason, line.reason_params = "not-in-unit", {"code": code, "unit": facts.code}


def _mark_end(lines: list[Line], last_criterion: int) -> None:
    """After the last criterion's answer: the sign-off (or the reader comments' heading)
    and everything after it are one piece of furniture."""
    end = None
    for line in lines[last_criterion + 1 :]:
        if line.kind == Kind.BLANK:
            continue
        text = line.text
        short_sign_off = len(text) <= SIGN_OFF_MAX_CHARS and _starts(text, SIGN_OFF_STARTS)
        if _starts(text, CLOSING_STARTS) or short_sign_off or _bare(text) in END_HEADINGS:
            end = line.index
            break
    if end is None:
        return
    for line in lines[end:]:
        if line.kind != Kind.BLANK:
            line.kind, line.reason, line.key = Kind.FURNITURE, "after-end", ""
            line.code = line.question = ""
    lines[end].reason, lines[end].key = "sign-off", END_KEY


def _flag(line: Line, reason: str) -> None:
    line.kind, line.reason, line.key, line.default = Kind.FURNITURE, reason, f"f{line.index}", DROP


def _mark_furniture(lines: list[Line]) -> None:
    """Furniture a line shows by itself: credits, labels, bylines, links, invitations."""
    after_author = False
    for line in lines:
        if line.kind == Kind.BLANK:
            continue
        was_author, after_author = after_author, False
        if line.kind != Kind.TEXT:
            continue
        text = line.text
        label = LABEL.match(text)
        if is_picture_credit(text):
            _flag(line, "picture-credit")
        elif label and _bare(label["label"]) in PAGE_LABELS:
            _flag(line, "page-label")
            after_author = _bare(label["label"]) in AUTHOR_LABELS and not label["value"]
        elif was_author or (len(text) <= 120 and _starts(text, BYLINE_STARTS)):
            _flag(line, "byline")
        elif heading_like(text) and OTHER_PART.search(text):
            _flag(line, "other-part")
        elif len(sentences(text)) == 1 and _has(text, LINK_PHRASES):
            _flag(line, "other-part")
        elif len(sentences(text)) == 1 and _has(text, COMMENT_PHRASES):
            _flag(line, "comment")


def _mark_headings(lines: list[Line], facts: UnitFacts, contents: set[str]) -> None:
    """Short unnumbered lines: the introduction's label, titles before it, section
    headings between answers, and headings that may be a criterion's question."""
    criteria = [line for line in lines if line.kind == Kind.CRITERION]
    found = {line.code for line in criteria}
    first = criteria[0].index
    for line in lines[:first]:
        if (
            line.kind == Kind.TEXT
            and len(line.text) <= 60
            and (_bare(line.text) in INTRODUCTION_LABELS or line.text in contents)
        ):
            line.kind = Kind.INTRODUCTION_LABEL
    candidates = [line for line in lines if line.kind == Kind.TEXT and heading_like(line.text)]
    gaps: dict[tuple, list[Line]] = {}
    for line in candidates:
        before = next((c for c in reversed(criteria) if c.index < line.index), None)
        after = next((c for c in criteria if c.index > line.index), None)
        if _next_is_criterion(lines, line.index) or (before and line.text in contents):
            _flag(line, "section" if before else "title")
            continue
        gaps.setdefault((before and before.code, after and after.code), []).append(line)
    for (before, after), group in gaps.items():
        missing = [
            code
            for code in facts.criteria
            if code not in found
            and (before is None or criterion_key(code) > criterion_key(before))
            and (after is None or criterion_key(code) < criterion_key(after))
        ]
        for line in group:
            if len(missing) == 1 and len(group) == 1:
                line.kind, line.key, line.question = Kind.HEADING, f"h{line.index}", line.text
                line.code = line.default = missing[0]
                line.reason, line.reason_params = "proposed", {"code": missing[0]}
            elif before is None:
                _flag(line, "title")
            else:
                line.kind, line.key, line.question = Kind.HEADING, f"h{line.index}", line.text
                line.default, line.reason = AS_TEXT, "unmatched"


def _next_is_criterion(lines: list[Line], index: int) -> bool:
    """Whether the next line that is neither blank nor furniture is a criterion's heading."""
    for following in range(index + 1, len(lines)):  # no slice: a copy per line is quadratic
        kind = lines[following].kind
        if kind not in (Kind.BLANK, Kind.FURNITURE):
            return kind == Kind.CRITERION
    return False


def _mark_sentences(lines: list[Line]) -> None:
    """In text lines, the sentences that are furniture (a comment invitation or a
    pointer to another part at the end of a paragraph)."""
    first = next(line.index for line in lines if line.kind == Kind.CRITERION)
    for line in lines:
        if line.kind != Kind.TEXT:
            continue
        parts = sentences(line.text)
        if len(parts) < 2:
            continue
        reasons = []
        for part in parts:
            if _has(part, LINK_PHRASES):
                reasons.append("other-part")
            elif _has(part, COMMENT_PHRASES):
                reasons.append("comment")
            elif line.index < first and OTHER_PART.search(part):
                reasons.append("other-part")
            else:
                reasons.append("")
        if any(reasons):
            line.pieces = [
                Piece(f"f{line.index}.{n}", part, reason)
                for n, (part, reason) in enumerate(zip(parts, reasons, strict=True))
            ]


# --- Applying the decisions --------------------------------------------------------


@dataclass
class Answer:
    code: str
    question: str
    lines: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        return markdown(self.lines)


@dataclass
class Assembled:
    introduction: list[str]
    answers: dict[str, Answer]  # in the unit's order
    # Per line index: where it went: "introduction", a criterion code, or "" (left out).
    placement: dict[int, str]
    # Criteria whose heading was found but which have no text (left out, with a note).
    empty: list[str]

    @property
    def introduction_body(self) -> str:
        return markdown(self.introduction)


INTRODUCTION = "introduction"


def assemble(draft: Draft, decisions: dict[str, str] | None = None) -> Assembled:
    """The introduction and each criterion's answer, with the admin's decisions
    applied (the defaults where a decision is missing)."""
    chosen = {**draft.default_decisions(), **(decisions or {})}
    owner: str = INTRODUCTION
    texts: dict[str, list[str]] = {INTRODUCTION: []}
    questions: dict[str, str] = {}
    placement: dict[int, str] = {}
    end_kept = chosen.get(END_KEY) == KEEP

    def add(text: str) -> None:
        if owner:
            texts.setdefault(owner, []).append(text)

    for line in draft.lines:
        if line.kind == Kind.CRITERION:
            owner = line.code
            questions.setdefault(owner, line.question)
            texts.setdefault(owner, [])
        elif line.kind == Kind.HEADING:
            choice = chosen.get(line.key, line.default)
            if choice == AS_TEXT:
                add(line.text)
            elif choice == LEAVE_OUT:
                owner = ""
            elif choice not in questions:
                owner = choice
                questions[owner] = line.question
                texts.setdefault(owner, [])
            else:  # the criterion already has its answer: the text goes on it
                owner = choice
        elif line.kind == Kind.FURNITURE:
            kept = end_kept if line.reason in ("sign-off", "after-end") else None
            if kept is None:
                kept = chosen.get(line.key) == KEEP
            if kept:
                add(line.text)
            else:
                placement[line.index] = ""
                continue
        elif line.kind == Kind.TEXT:
            text = "".join(
                piece.text
                for piece in line.pieces
                if not piece.reason or chosen.get(piece.key) == KEEP
            ).strip()
            if line.pieces and not text:
                placement[line.index] = ""
                continue
            add(tag_passage(text or line.text, draft.facts.language))
        else:
            continue
        placement[line.index] = owner
    order = {code: n for n, code in enumerate(draft.facts.criteria)}
    answers = {
        code: Answer(code, questions[code], texts[code])
        for code in sorted(questions, key=lambda c: order.get(c, len(order)))
        if texts[code]
    }
    empty = [code for code in questions if not texts[code]]
    return Assembled(texts[INTRODUCTION], answers, placement, empty)


def markdown(lines: list[str]) -> str:
    """Each line a paragraph; runs of bullet lines ("• x", "- x") a "- " list. A line
    that would start a Markdown heading or quote is escaped: the guide is text."""
    blocks: list[str] = []
    previous_bullet = False
    for line in lines:
        text = line.strip()
        bullet = bool(BULLET.match(text))
        if bullet:
            text = "- " + BULLET.sub("", text).strip()
        elif text[:1] in ("#", ">"):
            text = "\\" + text
        if bullet and previous_bullet:
            blocks[-1] += "\n" + text
        else:
            blocks.append(text)
        previous_bullet = bullet
    return "\n\n".join(blocks)


def fixture_objects(
    unit_code: str, language: str, assembled: Assembled, attribution: str
) -> list[dict]:
    """The model answers and introduction as fixture objects with natural keys,
    in the shape of fixtures/*.json."""
    objects = [
        {
            "model": "units.modelanswer",
            "fields": {
                "learning_outcome": [unit_code, answer.code],
                "language": language,
                "question": answer.question,
                "body": answer.body,
                "attribution": attribution,
            },
        }
        for answer in assembled.answers.values()
    ]
    if assembled.introduction:
        objects.append(
            {
                "model": "units.unitintroduction",
                "fields": {
                    "unit": [unit_code],
                    "language": language,
                    "body": assembled.introduction_body,
                    "attribution": attribution,
                },
            }
        )
    return objects


# --- Reading uploads ---------------------------------------------------------------


def read_document(name: str, data: bytes) -> str:
    """The text of an uploaded study guide: a .docx, or plain text in UTF-8 (or
    UTF-16 with a byte-order mark). Anything else is refused with a sentence."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise DocumentError(too_large_message(len(data)))
    lower = name.lower()
    if data.startswith(OLE2_MAGIC):
        raise DocumentError(
            gettext_lazy(
                "This is an old Word document (.doc) or a password-protected .docx, which "
                "cannot be read. Remove the password, or save it as a Word document "
                "(.docx) or as plain text (UTF-8), and upload that."
            )
        )
    if lower.endswith((".docm", ".dotm")):
        raise DocumentError(MACROS_MESSAGE)
    if data.startswith(ZIP_MAGIC) or lower.endswith((".docx", ".dotx", ".zip")):
        text = _read_docx(data)
    elif lower.endswith((".doc", ".rtf", ".odt", ".pdf")):
        raise DocumentError(
            gettext_lazy(
                "Only Word documents (.docx) and plain text files can be read. Save the "
                "guide as .docx or as plain text (UTF-8), and upload that."
            )
        )
    else:
        text = _decode_text(data)
    text = clean_text(text)
    if len(text) > MAX_TEXT_CHARS:
        raise DocumentError(
            gettext_lazy(
                "The document's text is longer than a study guide (%(count)s characters; "
                "at most %(limit)s). Split it into one document per unit."
            )
            % {"count": f"{len(text):,}", "limit": f"{MAX_TEXT_CHARS:,}"}
        )
    if not text.strip():
        raise DocumentError(gettext_lazy("The document has no text."))
    return text


MACROS_MESSAGE = gettext_lazy(
    "This Word document contains macros, which are not accepted. Save it as a Word "
    "document without macros (.docx) and upload that."
)


def too_large_message(size: int) -> str:
    return str(
        gettext_lazy(
            "The file is %(size)s; at most %(limit)s can be uploaded. A study guide's text "
            "is much smaller: save it without pictures, or as plain text."
        )
        % {"size": filesizeformat(size), "limit": filesizeformat(MAX_UPLOAD_BYTES)}
    )


def _decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentError(NOT_UTF8_MESSAGE) from None
    if b"\x00" in data:
        raise DocumentError(NOT_UTF8_MESSAGE)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DocumentError(NOT_UTF8_MESSAGE) from None


NOT_UTF8_MESSAGE = gettext_lazy(
    "The file is not text in UTF-8 (it may be in another encoding, such as Windows-1251, "
    "EUC-KR or GBK, or not text at all). Open it in a text editor and save it as UTF-8, "
    "or upload the guide as a Word document (.docx)."
)
CORRUPT_DOCX_MESSAGE = gettext_lazy(
    "This file is not a readable Word document (.docx): it is damaged or of another "
    "kind. Open it in Word and save it again as .docx, or save it as plain text (UTF-8)."
)


def _read_docx(data: bytes) -> str:
    """The paragraphs of a .docx, one a line, after checking the zip without unpacking it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise DocumentError(CORRUPT_DOCX_MESSAGE) from None
    unpacked = sum(member.file_size for member in members)
    crammed = any(
        member.file_size > 1024 * 1024
        and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if len(members) > MAX_ZIP_MEMBERS or unpacked > MAX_UNZIPPED_BYTES or crammed:
        raise DocumentError(
            gettext_lazy(
                "This .docx would unpack to more than a document holds (%(size)s): it is "
                "refused unread. Save the guide again as .docx, or as plain text (UTF-8)."
            )
            % {"size": filesizeformat(unpacked)}
        )
    names = {member.filename.lower() for member in members}
    if any(name.endswith("vbaproject.bin") for name in names):
        raise DocumentError(MACROS_MESSAGE)
    try:
        types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError, ValueError):
        raise DocumentError(CORRUPT_DOCX_MESSAGE) from None
    if "macroEnabled" in types or "vbaProject" in types:
        raise DocumentError(MACROS_MESSAGE)
    if DOCX_MAIN not in types:
        raise DocumentError(CORRUPT_DOCX_MESSAGE)
    import docx  # python-docx: only needed here
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        return "\n".join(_docx_lines(document))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise DocumentError(CORRUPT_DOCX_MESSAGE) from None
    except Exception as exc:  # lxml's XMLSyntaxError and kin: a damaged part
        if type(exc).__module__.startswith(("lxml", "docx")):
            raise DocumentError(CORRUPT_DOCX_MESSAGE) from None
        raise


def _docx_lines(document) -> list[str]:
    """Paragraphs (and table cells) in order; list paragraphs as "• " bullets;
    line breaks inside a paragraph as lines."""
    from docx.table import Table

    lines: list[str] = []

    def paragraph(par) -> None:
        text = par.text
        p_pr = par._p.pPr
        listed = p_pr is not None and p_pr.numPr is not None
        style = (par.style.name if par.style is not None else "") or ""
        if (listed or style.startswith("List")) and text.strip():
            text = "• " + text.strip()
        lines.extend(text.split("\n"))

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    for par in cell.paragraphs:
                        paragraph(par)
        else:
            paragraph(block)
    return lines


# --- The unit, from the database ---------------------------------------------------


def unit_facts(unit, language: str) -> UnitFacts:
    """The unit's criteria, their questions in `language` (its model answers'; for
    English, the criteria's own) and the answers' attribution. Two queries."""
    from .languages import ENGLISH
    from .models import ModelAnswer

    criteria = list(unit.criteria.order_by("major", "minor").values_list("code", "question"))
    answers = list(
        ModelAnswer.objects.filter(learning_outcome__unit=unit, language=language)
        .order_by("learning_outcome__major", "learning_outcome__minor")
        .values_list("learning_outcome__code", "question", "attribution")
    )
    if language == ENGLISH:
        questions = dict(criteria)
    else:
        questions = {code: question for code, question, _ in answers if question.strip()}
    attribution = next((text for _, _, text in answers if text), "")
    codes = [code for code, _ in criteria]
    return UnitFacts(unit.code, codes, questions, attribution, language, dict(criteria))
