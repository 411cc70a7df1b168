"""Search across criteria, model answers, readings and answers, in every script.

One normaliser and tokeniser makes the words of the index and of the query, so
the two always agree, and the databases only ever see plain ASCII words:

- Text is NFKC-normalised and case-folded; Serbian Cyrillic is written in Latin
  (тимски → timski), then diacritics are dropped (korisnička → korisnicka,
  ügyfél → ugyfel, đ → dj), so either script and either spelling meet.
- A Latin-script word gives its surface form ("w" + word) and its Snowball
  stems in English, Serbian (which also serves Croatian) and Hungarian
  ("s" + stem): "customers" finds "customer", "službe" finds "služba".
- Chinese (and Japanese kana) has no spaces: a run of Han characters gives
  every character and every pair of neighbours. A query of one or two
  characters is one token; a longer one needs all its pairs and then the
  characters side by side (checked in the database), so it cannot over-match.
- Korean gives the same characters and pairs, and each word whole: "팀워크"
  finds "팀워크가" (with a particle), "고객 만족" finds "고객 만족도".
- Any other word (Greek, Arabic …) is kept whole ("u" + its UTF-8 in hex).
- CJK tokens are "c" + the UTF-8 in hex, so tokens are [a-z0-9]+ only: the
  tokenisers of FTS5 and PostgreSQL see plain words, both databases match
  alike, and nothing a person types reaches FTS5 or tsquery syntax.

A record's tokens are its surface words and single CJK characters in text
order, then its other tokens (stems, pairs) once each. An exact phrase is thus
a substring of the tokens ("wtimski wrad"), and so is the adjacency of CJK
characters; both are checked on the tokens, never by re-reading the text.

The index (SearchEntry rows) is kept fresh by the signals connected in
connect() and rebuilt whole by rebuild() (manage.py rebuild_search_index),
which must follow loaddata: fixtures are saved raw, and raw saves are skipped.
"""

import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import snowballstemmer
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import EmptyResultSet
from django.db import connection, reset_queries, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.signals import post_save
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .access import candidates_of, is_assessor, is_candidate, manages_content
from .languages import LANGUAGES
from .markdown import markdown_tokens
from .models import Answer, LearningOutcome, ModelAnswer, Reading, Revision, SearchEntry, Unit
from .text import BIDI_CONTROLS

Kind = SearchEntry.Kind
KIND_ORDER = [Kind.CRITERION, Kind.MODEL_ANSWER, Kind.READING, Kind.ANSWER]

MAX_QUERY_CHARS = 200  # a longer query is cut here (and says so)
MAX_TERMS = 12  # words (or CJK runs) of a query that are searched for
MAX_PAIRS_PER_TERM = 16  # a long CJK run needs at most this many pairs in the index query
MAX_WORD_CHARS = 64  # longer words are cut, in the index and the query alike
MAX_HANGUL_WORD = 12  # longer Korean words are indexed by their pairs only
MAX_INDEXED_CHARS = 200_000  # of one record's text
# Of each kind, the latest WINDOW matches are ranked by the database and the best
# CANDIDATES of them re-ranked here: a word found in 100,000 answers costs no more
# than one found in 1,000.
WINDOW = 500
CANDIDATES = 50
GIN_LIMIT = 2000  # PostgreSQL, for those who may see every answer (see _candidates)
SNIPPET_CHARS = 200
SNIPPET_LEAD = 60  # characters shown before the first match
BATCH = 1000

# --- Scripts ------------------------------------------------------------------

_HAN = (
    "\u3005-\u3007"  # 々 〆 〇
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff"  # kana: written without spaces, like Han
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
_HANGUL = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"


def _mark_ranges() -> str:
    """Combining marks (accents, vowel signs) as a regex class body: they belong
    to the word they sit on, whatever the script."""
    ranges, start, previous = [], None, None
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if start is None:
                start = code
            previous = code
        elif start is not None:
            ranges.append(f"{chr(start)}-{chr(previous)}" if previous > start else chr(start))
            start = None
    return "".join(ranges)


_MARKS = _mark_ranges()
_LETTER = rf"[^\W_{_HAN}{_HANGUL}]"  # a letter or digit of any other script
_SEGMENT = re.compile(
    rf"(?P<word>{_LETTER}+(?:[{_MARKS}]+{_LETTER}*)*)|(?P<han>[{_HAN}]+)|(?P<hangul>[{_HANGUL}]+)"
)

# Serbian Cyrillic as Serbian Latin (with its diacritics, which the Serbian stemmer
# reads; they are dropped afterwards), and the other Cyrillic letters of the
# languages the bank holds (Bulgarian, Ukrainian) as they are usually written.
_CYRILLIC = str.maketrans(
    {
        **dict(zip("абвгдежзијклмнопрстћуфхцчш", "abvgdežzijklmnoprstćufhcčš", strict=True)),
        "ђ": "đ",
        "љ": "lj",
        "њ": "nj",
        "џ": "dž",
        "ѓ": "gj",
        "ќ": "kj",
        "ѕ": "dz",
        "й": "j",
        "щ": "šč",
        "ъ": "a",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "ju",
        "я": "ja",
        "ё": "jo",
        "є": "je",
        "і": "i",
        "ї": "ji",
        "ґ": "g",
    }
)
# Letters that are not a base letter plus an accent, so NFD cannot strip them.
_LETTERS = str.maketrans(
    {"đ": "dj", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d", "ı": "i", "ħ": "h"}
)

_STEMMER_LANGUAGES = ["english", "serbian", "hungarian"]  # no Croatian one: Serbian covers it
_stemmers = [snowballstemmer.stemmer(language) for language in _STEMMER_LANGUAGES]
_stem_lock = threading.Lock()  # a Snowball stemmer keeps state while it stems


def _prepare(text: str) -> str:
    """NFKC, case-folded, Serbian Cyrillic in Latin: the form both sides are split from."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_CYRILLIC)


def strip_diacritics(word: str) -> str:
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word.translate(_LETTERS))
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    )


def _hex(text: str) -> str:
    return text.encode().hex()


@lru_cache(maxsize=200_000)
def _word_tokens(word: str) -> tuple[str, tuple[str, ...]]:
    """A prepared word's surface token and its stem tokens."""
    word = word[:MAX_WORD_CHARS]
    plain = strip_diacritics(word)
    if not plain.isascii():
        return "u" + _hex(plain), ()
    if len(plain) < 3 or not plain.isalpha():
        return "w" + plain, ()
    forms = {plain, word}  # the stemmers read accents; the reader may type none
    stems = set()
    with _stem_lock:
        for stemmer in _stemmers:
            for form in forms:
                stem = strip_diacritics(stemmer.stemWord(form))
                if stem.isascii() and stem.isalnum():
                    stems.add("s" + stem)
    return "w" + plain, tuple(sorted(stems))


@lru_cache(maxsize=50_000)
def _cjk(text: str) -> str:
    return "c" + _hex(text)


def document_tokens(text: str) -> str:
    """The tokens of a record: its surface words in order, then the rest once each."""
    sequence: list[str] = []
    extra: set[str] = set()
    for word, han, hangul in _SEGMENT.findall(_prepare(text[:MAX_INDEXED_CHARS])):
        if word:  # the usual case first: this loop is most of a rebuild's time
            surface, stems = _word_tokens(word)
            sequence.append(surface)
            if stems:
                extra.update(stems)
            continue
        run = han or hangul
        sequence.extend(_cjk(char) for char in run)
        extra.update(_cjk(run[i : i + 2]) for i in range(len(run) - 1))
        if hangul and 3 <= len(run) <= MAX_HANGUL_WORD:
            extra.add(_cjk(run))
    return " ".join([*sequence, *sorted(extra)])


# --- The query ----------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One word of a query (or one run of CJK characters).

    `options` are the ways a record may match it, any one will do: each is a
    set of tokens that must all be there. `sequence` is its surface form in a
    record's tokens; `adjacent` says the record must hold that sequence too
    (CJK of three or more characters: its pairs alone could be scattered).
    """

    sequence: str
    options: tuple[tuple[str, ...], ...]
    adjacent: bool = False
    stems: frozenset[str] = frozenset()
    cjk: str = ""  # the characters themselves, to mark them in a snippet
    single: bool = False  # one Latin letter or digit


@dataclass
class Query:
    text: str  # what was searched for: cleaned, at most MAX_QUERY_CHARS
    terms: list[Term]
    truncated: bool = False  # the query was longer than what is searched for
    too_short: bool = False  # one letter or digit: it would find everything

    @property
    def empty(self) -> bool:
        """Nothing to search for: blank, or only punctuation or emoji."""
        return not self.terms and not self.too_short

    @cached_property
    def phrase(self) -> str:
        return " ".join(term.sequence for term in self.terms)

    @cached_property
    def surfaces(self) -> frozenset[str]:
        return frozenset(term.sequence for term in self.terms if not term.cjk)

    @cached_property
    def stems(self) -> frozenset[str]:
        return frozenset().union(*(term.stems for term in self.terms))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def parse_query(raw: str) -> Query:
    text = BIDI_CONTROLS.sub("", _CONTROL.sub(" ", str(raw or ""))).strip()
    truncated = len(text) > MAX_QUERY_CHARS
    if truncated:  # at a space, if there is one, so no word is cut in half
        cut = text[: MAX_QUERY_CHARS + 1]
        text = cut[: cut.rfind(" ")].rstrip() if " " in cut else cut[:MAX_QUERY_CHARS]
    terms: list[Term] = []
    for match in _SEGMENT.finditer(_prepare(text)):
        run = match.group()
        if match.lastgroup == "word":
            surface, stems = _word_tokens(run)
            options = ((surface,), *((stem,) for stem in stems))
            terms.append(Term(surface, options, stems=frozenset(stems), single=len(surface) == 2))
            continue
        pairs = [_cjk(run[i : i + 2]) for i in range(len(run) - 1)]
        if len(run) == 1:
            options = ((_cjk(run),),)
        else:
            options = (tuple(pairs[:MAX_PAIRS_PER_TERM]),)
        sequence = " ".join(_cjk(char) for char in run)
        terms.append(Term(sequence, options, adjacent=len(run) >= 3, cjk=run))
    unique = list({term.sequence: term for term in terms}.values())
    if any(not term.single for term in unique):
        unique = [term for term in unique if not term.single]
    too_short = len(unique) == 1 and unique[0].single
    if len(unique) > MAX_TERMS:
        unique, truncated = unique[:MAX_TERMS], True
    return Query(text, [] if too_short else unique, truncated=truncated, too_short=too_short)


def _fts5_expression(query: Query) -> str:
    def option(tokens):
        return " AND ".join(f'"{token}"' for token in tokens)

    return " AND ".join(
        "(" + " OR ".join(f"({option(tokens)})" for tokens in term.options) + ")"
        for term in query.terms
    )


def _tsquery_expression(query: Query) -> str:
    return " & ".join(
        "(" + " | ".join("(" + " & ".join(tokens) + ")" for tokens in term.options) + ")"
        for term in query.terms
    )


# --- What is indexed ----------------------------------------------------------


def markdown_text(source: str) -> str:
    """The words of a Markdown text, without its markup: a line per block."""
    lines = []
    for token in markdown_tokens(source):
        if token.type == "inline":
            lines.append(
                "".join(
                    "\n" if child.type == "hardbreak" else " " if child.type == "softbreak"
                    else child.content
                    for child in token.children or []
                )
            )  # fmt: skip
        elif token.type in ("fence", "code_block"):
            lines.append(token.content.rstrip("\n"))
    return "\n".join(line for line in lines if line)


def _language_of_answer(text: str) -> str:
    """Answers carry no language: name the script's, so CJK shows in the right font."""
    sample = text[:2000]
    if sample.isascii():
        return "en"
    hangul = len(re.findall(f"[{_HANGUL}]", sample))
    han = len(re.findall(f"[{_HAN}]", sample))
    latin = len(re.findall(r"[A-Za-z]", sample))
    if hangul > latin and hangul >= han:
        return "ko"
    if han > latin:
        return "zh-Hans"
    return "en"


def _entry(kind, *, language: str, title: str, text: str, index: str = "", **links):
    return SearchEntry(
        kind=kind,
        language=language,
        title=title[:300],
        text=text,
        tokens=document_tokens(f"{index}\n{text}" if index else text),
        **links,
    )


def _criterion_title(unit_code: str, code: str) -> str:
    return f"{unit_code} {code}"


def _criterion_entry(criterion: LearningOutcome) -> SearchEntry:
    title = _criterion_title(criterion.unit.code, criterion.code)
    return _entry(
        Kind.CRITERION,
        language="en",
        title=title,
        text=f"{criterion.question}\n{criterion.outcome}",
        index=title,
        criterion=criterion,
        unit_id=criterion.unit_id,
    )


def _model_answer_entry(model_answer: ModelAnswer) -> SearchEntry:
    criterion = model_answer.learning_outcome
    question = model_answer.question.strip()
    body = markdown_text(model_answer.body)
    return _entry(
        Kind.MODEL_ANSWER,
        language=model_answer.language,
        title=_criterion_title(criterion.unit.code, criterion.code),
        text=f"{question}\n{body}" if question else body,
        model_answer=model_answer,
        criterion_id=criterion.pk,
        unit_id=criterion.unit_id,
    )


def _reading_entry(reading: Reading) -> SearchEntry:
    headings = "\n".join(part for part in (reading.title, reading.title_en) if part)
    return _entry(
        Kind.READING,
        language=reading.language,
        title=reading.title,
        text=f"{headings}\n{markdown_text(reading.body)}",
        reading=reading,
    )


def _answer_entries(
    *, answer_id, candidate_id, text, criterion_id, unit_id, title, revision_id, revision_text
) -> list[SearchEntry]:
    """The draft, and the latest submitted revision when its text differs."""
    links = {
        "answer_id": answer_id,
        "owner_id": candidate_id,
        "criterion_id": criterion_id,
        "unit_id": unit_id,
    }
    entries = []
    if text.strip():
        entries.append(
            _entry(Kind.ANSWER, language=_language_of_answer(text), title=title, text=text, **links)
        )
    if revision_id is not None and revision_text != text and revision_text.strip():
        entries.append(
            _entry(
                Kind.ANSWER,
                language=_language_of_answer(revision_text),
                title=title,
                text=revision_text,
                revision_id=revision_id,
                **links,
            )
        )
    return entries


# --- Keeping the index fresh --------------------------------------------------


@transaction.atomic
def index_criterion(criterion: LearningOutcome) -> None:
    SearchEntry.objects.filter(kind=Kind.CRITERION, criterion=criterion).delete()
    _criterion_entry(criterion).save()
    # The rows that name it: its model answers and the answers to it.
    SearchEntry.objects.filter(
        Q(model_answer__learning_outcome=criterion) | Q(answer__learning_outcome=criterion)
    ).update(
        title=_criterion_title(criterion.unit.code, criterion.code),
        unit_id=criterion.unit_id,
        criterion_id=criterion.pk,
    )


@transaction.atomic
def index_unit(unit: Unit) -> None:
    for criterion in unit.criteria.select_related("unit"):
        index_criterion(criterion)


@transaction.atomic
def index_model_answer(model_answer: ModelAnswer) -> None:
    SearchEntry.objects.filter(model_answer=model_answer).delete()
    _model_answer_entry(model_answer).save()


@transaction.atomic
def index_reading(reading: Reading) -> None:
    SearchEntry.objects.filter(reading=reading).delete()
    _reading_entry(reading).save()


@transaction.atomic
def index_answer(answer: Answer) -> None:
    """Index an answer's draft and latest revision. Call after any change to its
    text that sends no signal (QuerySet.update)."""
    criterion = (
        LearningOutcome.objects.filter(pk=answer.learning_outcome_id)
        .values("unit_id", "unit__code", "code")
        .get()
    )
    latest = answer.revisions.order_by("-number").values("pk", "text").first()
    SearchEntry.objects.filter(answer_id=answer.pk).delete()
    SearchEntry.objects.bulk_create(
        _answer_entries(
            answer_id=answer.pk,
            candidate_id=answer.candidate_id,
            text=answer.text,
            criterion_id=answer.learning_outcome_id,
            unit_id=criterion["unit_id"],
            title=_criterion_title(criterion["unit__code"], criterion["code"]),
            revision_id=latest["pk"] if latest else None,
            revision_text=latest["text"] if latest else "",
        )
    )


def index_draft(answer: Answer) -> None:
    """Re-index an answer's draft after an autosave: its row only, one UPDATE
    (the full index_answer when the row is not there yet, or the draft is empty)."""
    if answer.text.strip():
        updated = SearchEntry.objects.filter(answer_id=answer.pk, revision_id=None).update(
            text=answer.text,
            tokens=document_tokens(answer.text),
            language=_language_of_answer(answer.text),
        )
        if updated:
            return
    index_answer(answer)


def _on_unit_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        index_unit(instance)


def _on_criterion_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        index_criterion(instance)


def _on_model_answer_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        index_model_answer(instance)


def _on_reading_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        index_reading(instance)


def _on_answer_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        index_answer(instance)


def _on_revision_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        index_answer(instance.answer)


def connect() -> None:
    """Keep the index in step with the records (called from UnitsConfig.ready).

    Deleting a record deletes its rows (the foreign keys cascade); a revision is
    never changed and goes only with its answer. Fixtures are saved raw and
    skipped: rebuild() after loaddata.

    services.draft_save writes a draft with QuerySet.update(), which sends no
    signal: it must call index_answer() itself."""
    for model, handler in [
        (Unit, _on_unit_saved),
        (LearningOutcome, _on_criterion_saved),
        (ModelAnswer, _on_model_answer_saved),
        (Reading, _on_reading_saved),
        (Answer, _on_answer_saved),
        (Revision, _on_revision_saved),
    ]:
        post_save.connect(handler, sender=model, dispatch_uid=f"nvqbank.search.{model.__name__}")


def _batched(entries):
    batch = []
    for entry in entries:
        batch.append(entry)
        if len(batch) >= BATCH:
            SearchEntry.objects.bulk_create(batch)
            reset_queries()  # with DEBUG on (make run), the log would hold every batch
            yield len(batch)
            batch = []
    if batch:
        SearchEntry.objects.bulk_create(batch)
        yield len(batch)


def _all_answer_entries():
    latest = Revision.objects.filter(answer=OuterRef("pk")).order_by("-number")
    rows = (
        Answer.objects.annotate(
            revision_id=Subquery(latest.values("pk")[:1]),
            revision_text=Subquery(latest.values("text")[:1]),
        )
        .values_list(
            "pk",
            "candidate_id",
            "text",
            "learning_outcome_id",
            "learning_outcome__unit_id",
            "learning_outcome__unit__code",
            "learning_outcome__code",
            "revision_id",
            "revision_text",
        )
        .order_by("pk")
    )
    for (
        pk,
        candidate_id,
        text,
        criterion_id,
        unit_id,
        unit_code,
        code,
        rev_id,
        rev_text,
    ) in rows.iterator(chunk_size=2000):
        yield from _answer_entries(
            answer_id=pk,
            candidate_id=candidate_id,
            text=text,
            criterion_id=criterion_id,
            unit_id=unit_id,
            title=_criterion_title(unit_code, code),
            revision_id=rev_id,
            revision_text=rev_text or "",
        )


@transaction.atomic
def rebuild() -> dict[str, int]:
    """Index every record anew. Returns the number of rows of each kind."""
    SearchEntry.objects.all().delete()
    sources = {
        Kind.CRITERION: (
            _criterion_entry(c)
            for c in LearningOutcome.objects.select_related("unit").iterator(chunk_size=2000)
        ),
        Kind.MODEL_ANSWER: (
            _model_answer_entry(m)
            for m in ModelAnswer.objects.select_related("learning_outcome__unit").iterator(
                chunk_size=2000
            )
        ),
        Kind.READING: (_reading_entry(r) for r in Reading.objects.iterator(chunk_size=2000)),
        Kind.ANSWER: _all_answer_entries(),
    }
    counts = {kind.value: sum(_batched(entries)) for kind, entries in sources.items()}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh statistics, so the planner knows which words are everywhere.
            cursor.execute("ANALYZE units_searchentry")
    return counts


# --- Searching ----------------------------------------------------------------


@dataclass
class Hit:
    kind: str
    object: object  # LearningOutcome, ModelAnswer, Reading or Answer
    language: str  # BCP 47, for the snippet's lang
    snippet: SafeString  # escaped HTML, the matches in <mark>
    score: float  # higher is better: 3 phrase, 2 all words, 1 stems (+ the database's rank)
    via: LearningOutcome | None = None  # a model answer found through its criterion
    revision: Revision | None = None  # an answer found in its submitted revision (else draft)


@dataclass
class Group:
    kind: str
    hits: list[Hit] = field(default_factory=list)
    more: bool = False  # more were found than are listed

    @property
    def label(self) -> str:
        return Kind(self.kind).label


@dataclass
class SearchResults:
    query: Query
    groups: list[Group]  # in KIND_ORDER; answers only for those who may see some
    seconds: float = 0.0

    @property
    def empty(self) -> bool:
        return self.query.empty

    @property
    def too_short(self) -> bool:
        return self.query.too_short

    @property
    def truncated(self) -> bool:
        return self.query.truncated

    @property
    def count(self) -> int:
        return sum(len(group.hits) for group in self.groups)

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self):
        """The groups that found something."""
        return (group for group in self.groups if group.hits)


ALL = "all"


@dataclass(frozen=True)
class Visible:
    answers: object  # a QuerySet of the answers the reader may open
    owners: object  # values("owner"): whose answers those may be, for the index to narrow


def _visible_answers(user):
    """The answers the user may open: Visible, ALL (an admin), or None (nobody's)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ALL
    allowed, owners = [], []
    if is_candidate(user):
        allowed.append(
            Answer.objects.for_candidate(user).filter(
                learning_outcome__unit__in=Unit.objects.visible_to(user)
            )
        )
        owners.append(Q(pk=user.pk))
    if is_assessor(user):
        allowed.append(Answer.objects.reviewable_by(user))
        owners.append(Q(pk__in=candidates_of(user).values("pk")))
    if not allowed:
        return None
    # One queryset (no nested IN): the database filters by it in the index query.
    answers = allowed[0] if len(allowed) == 1 else allowed[0] | allowed[1]
    people = owners[0] if len(owners) == 1 else owners[0] | owners[1]
    return Visible(
        answers,
        get_user_model().objects.filter(people).annotate(owner=F("pk")).values("owner"),
    )


# The SQL of one kind's candidates, per database. {where} holds the match, the
# kind, the adjacency of CJK characters and the reader's access; nothing typed
# reaches it but as parameters, and the match expression is made of tokens.
# The inner query takes the latest WINDOW matches (by the index's order, so it
# can stop early when a word is everywhere), the outer one ranks them.
_CANDIDATES_SQL = {
    "postgresql": (
        "SELECT e.id, e.kind, e.criterion_id, e.answer_id, e.tokens, ranked.rank, "
        # the record's id, whatever its kind (an answer's row also names its criterion)
        "COALESCE(e.answer_id, e.model_answer_id, e.reading_id, e.criterion_id) AS record "
        "FROM (SELECT latest.id, ts_rank(latest.search_vector, to_tsquery('simple', %s)) AS rank "
        "FROM (SELECT e.id, e.search_vector FROM units_searchentry e "
        "WHERE e.search_vector @@ {match} AND {where} "
        "ORDER BY e.id DESC LIMIT %s) AS latest "
        "ORDER BY rank DESC, latest.id LIMIT %s) AS ranked "
        "JOIN units_searchentry e ON e.id = ranked.id{outer}"
    ),
    "sqlite": (
        "SELECT * FROM (SELECT * FROM (SELECT e.id, e.kind, e.criterion_id, e.answer_id, "
        "e.tokens, -units_searchentry_fts.rank AS rank, "  # bm25: lower is better
        # the record's id, whatever its kind (an answer's row also names its criterion)
        "COALESCE(e.answer_id, e.model_answer_id, e.reading_id, e.criterion_id) AS record "
        "FROM units_searchentry_fts JOIN units_searchentry e "
        "ON e.id = units_searchentry_fts.rowid "
        "WHERE units_searchentry_fts MATCH %s AND {where} "
        "ORDER BY units_searchentry_fts.rowid DESC LIMIT %s) AS latest "
        "ORDER BY rank DESC, id LIMIT %s)"
    ),
}
_CONTAINS_SQL = {
    "postgresql": "strpos(' ' || e.tokens || ' ', %s) > 0",
    "sqlite": "instr(' ' || e.tokens || ' ', %s) > 0",
}


def _visible_units(user):
    """The units whose criteria and model answers the user may find: a QuerySet of
    their ids, or ALL for those who manage content (drafts included)."""
    if user is not None and user.is_authenticated and manages_content(user):
        return ALL
    return Unit.objects.visible_to(user or AnonymousUser()).values("pk")


def _candidates(query: Query, kinds: list[str], answers, units=ALL) -> list[tuple]:
    """The best CANDIDATES matching rows of each kind by the database's rank, from
    the latest WINDOW matches: (id, kind, criterion_id, answer_id, tokens, rank, record).
    One query, whatever the number of kinds (two for an admin on PostgreSQL)."""
    vendor = connection.vendor
    postgres = vendor == "postgresql"
    expression = _tsquery_expression(query) if postgres else _fts5_expression(query)
    adjacency = [f" {term.sequence} " for term in query.terms if term.adjacent]
    statements = []
    for kind in kinds:
        # PostgreSQL: the kind is in each vector too (migration 0012), for the index.
        matched = f"({expression}) & k{kind.replace('_', '')}" if postgres else expression
        match, match_params = "to_tsquery('simple', %s)", [matched]
        where = ["e.kind = %s", *[_CONTAINS_SQL[vendor]] * len(adjacency)]
        where_params = [kind, *adjacency]
        outer, outer_params = "", []
        if kind in (Kind.CRITERION, Kind.MODEL_ANSWER) and units is not ALL:
            sql, unit_params = units.query.sql_with_params()
            where.append(f"e.unit_id IN ({sql})")
            where_params += list(unit_params)
        if kind == Kind.ANSWER and answers is not ALL:
            try:
                sql, answer_params = answers.answers.values("pk").query.sql_with_params()
            except EmptyResultSet:  # an assessor with no candidates yet: no answers to find
                continue
            access = f"e.answer_id IN ({sql})"
            if postgres:
                # The owners' rows narrow the search: a few thousand at most (an
                # assessor's hundred candidates), read through the owner's index,
                # whatever the size of the bank; the exact access check is made on
                # the ranked few (hashing every visible answer first cost more than
                # the rest of the query, at scale 1). The owners were tokens inside
                # the tsquery before: a parameter the planner cannot weigh, so at
                # scale 10 it walked all 3 million rows newest first looking for a
                # candidate's 60 (16 s), and the query was parsed again for every row.
                owners_sql, owners_params = answers.owners.query.sql_with_params()
                where.append(f"e.owner_id IN ({owners_sql})")
                where_params += list(owners_params)
                outer, outer_params = f" WHERE {access}", list(answer_params)
            else:
                where.append(access)
                where_params += list(answer_params)
        arm = _CANDIDATES_SQL[vendor].format(match=match, where=" AND ".join(where), outer=outer)
        if postgres:  # the rank's query, then the match's
            params = [expression, *match_params, *where_params, WINDOW, CANDIDATES, *outer_params]
        else:
            params = [expression, *where_params, WINDOW, CANDIDATES]
        if not statements or (vendor == "postgresql" and answers is ALL and kind == Kind.ANSWER):
            statements.append(([], []))
        statements[-1][0].append(arm)
        statements[-1][1].extend(params)
    rows = []
    with connection.cursor() as cursor:
        for arms, params in statements:
            union = " UNION ALL ".join(
                f"SELECT * FROM ({arm}) AS arm{n}"  # noqa: S608 - made of the SQL above only
                for n, arm in enumerate(arms)
            )
            if arms is statements[0][0]:
                cursor.execute(union, params)
                rows += cursor.fetchall()
            else:
                rows += _with_gin_only(cursor, union, params)
    return rows


_GIN_ONLY = {"enable_seqscan": "off", "enable_indexscan": "off"}  # bitmap scans only


def _with_gin_only(cursor, sql: str, params: list) -> list[tuple]:
    """Run a statement over every answer (for an admin, on PostgreSQL) reading the
    matches from the GIN index only, at most GIN_LIMIT of them (a sample when a
    word is everywhere). Left to itself, the planner may walk all the answers in
    search of a word it wrongly thinks is common, for a second at scale 1.

    The settings are the transaction's (no savepoint: a query each) and are put
    back at once, so nothing else in the transaction runs with them."""
    settings = {"gin_fuzzy_search_limit": str(GIN_LIMIT), **_GIN_ONLY}
    names = list(settings)
    with transaction.atomic(savepoint=False):
        cursor.execute(
            "SELECT " + ", ".join("current_setting(%s), set_config(%s, %s, true)" for _ in names),
            [value for name in names for value in (name, name, settings[name])],
        )
        previous = cursor.fetchone()[::2]
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.execute(
                "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names),
                [value for pair in zip(names, previous, strict=True) for value in pair],
            )


def _tier(query: Query, tokens: str) -> int:
    """3: the exact phrase; 2: every word as written; 1: some only through stems."""
    padded = f" {tokens} "
    if all(f" {term.sequence} " in padded for term in query.terms):
        return 3 if len(query.terms) > 1 and f" {query.phrase} " in padded else 2
    return 1


def _rank(query: Query, rows) -> dict[str, list[tuple[float, int, tuple]]]:
    """The rows of each kind, best first, one per record (an answer's draft and
    revision count once, at the better of the two)."""
    by_kind: dict[str, list] = {}
    for row in rows:
        entry_id, kind, _criterion_id, answer_id, tokens, db_rank, record = row
        db_rank = max(float(db_rank or 0), 0.0)
        score = _tier(query, tokens) + db_rank / (1 + db_rank)
        by_kind.setdefault(kind, []).append((score, record, entry_id, answer_id, row))
    ranked = {}
    for kind, scored in by_kind.items():
        # Ties by the record's id, so the order does not hang on when it was indexed.
        scored.sort(key=lambda item: (-item[0], item[1], item[2]))
        seen, best = set(), []
        for score, _record, entry_id, answer_id, row in scored:
            if answer_id is not None:
                if answer_id in seen:
                    continue
                seen.add(answer_id)
            best.append((score, entry_id, row))
        ranked[kind] = best
    return ranked


def _word_matches(word: str, query: Query) -> bool:
    for match in _SEGMENT.finditer(_prepare(word)):
        surface, stems = _word_tokens(match.group())
        if surface in query.surfaces or query.stems.intersection(stems):
            return True
    return False


def _mark_spans(text: str, query: Query, stop: int | None = None) -> list[tuple[int, int]]:
    """Where the query's words are in the text (up to `stop` once one is found)."""
    spans: list[tuple[int, int]] = []
    runs = [term.cjk for term in query.terms if term.cjk]
    for match in _SEGMENT.finditer(text):
        if spans and stop is not None and match.start() > spans[0][0] + stop:
            break
        if match.lastgroup == "word":
            if _word_matches(match.group(), query):
                spans.append(match.span())
            continue
        segment = unicodedata.normalize("NFKC", match.group())
        if len(segment) != len(match.group()):
            segment = match.group()
        for run in runs:
            start = segment.find(run)
            while start != -1:
                spans.append((match.start() + start, match.start() + start + len(run)))
                start = segment.find(run, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and (start <= merged[-1][1] or not text[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, query: Query, width: int = SNIPPET_CHARS) -> SafeString:
    """About `width` characters of the text around its first match, escaped, the
    matches in <mark>; the text's beginning when nothing in it matches as written."""
    spans = _mark_spans(text, query, stop=width)
    start = max(0, spans[0][0] - SNIPPET_LEAD) if spans else 0
    if start:  # begin at a word if one begins close by
        space = text.find(" ", start, spans[0][0])
        if space != -1 and space - start < 20:
            start = space + 1
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", max(start, end - 20), end)
        if space > start:
            end = space
    pieces = ["…" if start else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        pieces.append(_piece(text[cursor:span_start]))
        pieces.append(f"<mark>{_piece(text[span_start:span_end])}</mark>")
        cursor = span_end
    pieces.append(_piece(text[cursor:end]))
    pieces.append("…" if end < len(text) else "")
    return mark_safe("".join(pieces).strip())  # noqa: S308 - every piece is escaped


def _piece(text: str) -> str:
    return escape(re.sub(r"\s+", " ", text))


def search(query: str, user, *, per_kind: int = 10) -> SearchResults:
    """Find records for a query, grouped by kind in KIND_ORDER, what the user may open only.

    At most two queries (three with the role look-up), whatever the size of the bank:
    the best CANDIDATES of each kind by the database's rank, then the records shown."""
    started = time.monotonic()
    parsed = parse_query(query)
    answers = _visible_answers(user)
    kinds = KIND_ORDER if answers is not None else KIND_ORDER[:-1]
    groups = {kind: Group(kind) for kind in kinds}
    results = SearchResults(parsed, list(groups.values()))
    if not parsed.terms:
        return results
    ranked = _rank(parsed, _candidates(parsed, kinds, answers, _visible_units(user)))
    shown = {kind: rows[:per_kind] for kind, rows in ranked.items()}
    criteria = [row[2] for _score, _id, row in shown.get(Kind.CRITERION, [])]
    ids = [entry_id for rows in shown.values() for _score, entry_id, _row in rows]
    wanted = Q(pk__in=ids)
    if len(shown.get(Kind.MODEL_ANSWER, [])) < per_kind:
        # Room left among the model answers: those of the criteria found fill it.
        wanted |= Q(kind=Kind.MODEL_ANSWER, criterion_id__in=criteria)
    entries = {
        entry.pk: entry
        for entry in SearchEntry.objects.filter(wanted)
        # Only what the page shows: the records' own long texts stay in the database
        # (the snippet comes from the entry's text).
        .defer(
            "tokens",
            "criterion__unit__description",
            "model_answer__body",
            "model_answer__learning_outcome__unit__description",
            "reading__body",
            "answer__text",
            "answer__learning_outcome__unit__description",
            "answer__candidate__password",
            "revision__text",
        )
        .select_related(
            "criterion__unit",
            "model_answer__learning_outcome__unit",
            "reading",
            "answer__learning_outcome__unit",
            "answer__candidate",
            "revision",
        )
    }
    for kind, rows in shown.items():
        group = groups[kind]
        group.more = len(ranked[kind]) > per_kind
        for score, entry_id, _row in rows:
            entry = entries[entry_id]
            group.hits.append(
                Hit(
                    kind=kind,
                    object=_record(entry),
                    language=entry.language,
                    snippet=snippet(entry.text, parsed),
                    score=round(score, 4),
                    revision=entry.revision,
                )
            )
    _add_model_answers_of_criteria(groups, entries, criteria, parsed, per_kind)
    results.seconds = time.monotonic() - started
    return results


def _record(entry: SearchEntry):
    return {
        Kind.CRITERION: entry.criterion,
        Kind.MODEL_ANSWER: entry.model_answer,
        Kind.READING: entry.reading,
        Kind.ANSWER: entry.answer,
    }[entry.kind]


def _add_model_answers_of_criteria(groups, entries, criteria, query, per_kind) -> None:
    """A criterion found also brings its model answers in every language, after
    the model answers found themselves: an English query reaches every language."""
    group = groups[Kind.MODEL_ANSWER]
    listed = {hit.object.pk for hit in group.hits}
    language_order = {code: n for n, code in enumerate(LANGUAGES)}
    position = {criterion_id: n for n, criterion_id in enumerate(criteria)}
    found = sorted(
        (
            entry
            for entry in entries.values()
            if entry.kind == Kind.MODEL_ANSWER and entry.model_answer_id not in listed
            and entry.criterion_id in position
        ),
        key=lambda entry: (
            position[entry.criterion_id],
            language_order.get(entry.language, len(language_order)),
        ),
    )  # fmt: skip
    via = {hit.object.pk: hit.object for hit in groups[Kind.CRITERION].hits}
    for entry in found:
        if len(group.hits) >= per_kind:
            group.more = True
            break
        group.hits.append(
            Hit(
                kind=Kind.MODEL_ANSWER,
                object=entry.model_answer,
                language=entry.language,
                snippet=snippet(entry.text, query),
                score=0.0,
                via=via[entry.criterion_id],
            )
        )
