"""Text rules shared by drafts and revisions: cleaning, counting, comparing.

static/js/drafting.js counts words the same way, so the count a candidate sees
while typing is the count stored with a revision.
"""

import re
import time
from typing import NamedTuple

import fast_diff_match_patch

MAX_ANSWER_CHARS = 100_000
MAX_COMMENT_CHARS = 20_000

# Chinese and Japanese are written without spaces, so each character counts as a
# word (as word processors count "East Asian characters"). Korean puts spaces
# between words, so Hangul is counted by spaces like English.
_CJK = (
    "\u3040-\u309f"  # Hiragana
    "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
    "\U00020000-\U0003134f"  # Han, extensions B–H
)
_CJK_CHAR = re.compile(f"[{_CJK}]")
_WORD = re.compile(r"\w")
# Diff tokens: a run of spaces, one CJK character, or a run of anything else.
_TOKEN = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")
# A diff must not hold a worker: past this many seconds, or past this many marks
# (removals and additions: no one reads more, and each is markup to render), the
# reader is shown both texts instead.
DIFF_SECONDS = 0.3
DIFF_MAX_MARKS = 4_000


# Bidirectional controls (embeddings, overrides, isolates, marks): invisible, and they
# reorder the text around them, so "txt.exe" can show as "exe.txt" or a name swallow
# the words after it. Answers, comments and names do without them: Arabic or Hebrew
# text reads correctly without them, at worst a mark beside punctuation is lost.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """Normalise line ends and drop NUL bytes, which databases refuse and no one types,
    and bidirectional controls, which reorder what surrounds them."""
    text = BIDI_CONTROLS.sub("", text)
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def count_words(text: str) -> int:
    spaced = _CJK_CHAR.sub(" 字 ", text)
    return sum(1 for token in spaced.split() if _WORD.search(token))


class WordDiff(NamedTuple):
    """pieces: (kind, text) with kind "same", "removed" or "added"; the "same" and
    "removed" texts make the old text, the "same" and "added" ones the new text.
    marked: False when the changes were too many to mark in time; pieces are then
    the whole old text removed and the whole new text added."""

    pieces: list[tuple[str, str]]
    marked: bool


def diff_words(old: str, new: str) -> list[tuple[str, str]]:
    """A word-level diff as (kind, text) pieces; kind is "same", "removed" or "added"."""
    return word_diff(old, new).pieces


def word_diff(
    old: str, new: str, *, seconds: float = DIFF_SECONDS, max_marks: int = DIFF_MAX_MARKS
) -> WordDiff:
    """A word-level diff within a time budget.

    Myers' diff as diff-match-patch does it (in C++, with a deadline), on words:
    each distinct token is mapped to one character, so that the diff compares
    words and single CJK characters, never letters within a word.
    """
    whole = WordDiff([piece for piece in (("removed", old), ("added", new)) if piece[1]], False)
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    codes: dict[str, str] = {}
    for token in a + b:
        if token not in codes:
            number = len(codes)
            codes[token] = chr(number + 0x800 if number >= 0xD800 else number)  # no surrogates
    if len(codes) > 0x10FFFF - 0x800:  # more distinct tokens than characters to map them to
        return whole
    started = time.monotonic()
    ops = fast_diff_match_patch.diff(
        "".join(codes[token] for token in a),
        "".join(codes[token] for token in b),
        timelimit=seconds,
        checklines=False,
        cleanup="No",
    )
    if time.monotonic() - started >= seconds:  # it stopped at the deadline: parts not compared
        return whole
    pieces = []
    i = j = 0
    for op, length in ops:
        if op == "=":
            pieces.append(("same", "".join(a[i : i + length])))
            i, j = i + length, j + length
        elif op == "-":
            pieces.append(("removed", "".join(a[i : i + length])))
            i += length
        else:
            pieces.append(("added", "".join(b[j : j + length])))
            j += length
    pieces = _join_changes(pieces)
    if sum(kind != "same" for kind, _ in pieces) > max_marks:
        return whole
    return WordDiff(pieces, True)


def _join_changes(pieces) -> list[tuple[str, str]]:
    """Fold the spaces between two changes into them, so that "the cat" → "a dog"
    reads as one removal and one addition, not two of each around a kept space."""
    joined: list[tuple[str, str]] = []
    removed: list[str] = []
    added: list[str] = []
    space = ""

    def flush() -> None:
        if removed:
            joined.append(("removed", "".join(removed)))
        if added:
            joined.append(("added", "".join(added)))
        removed.clear()
        added.clear()

    for kind, text in pieces:
        if kind == "same":
            if space:
                flush()
                joined.append(("same", space))
                space = ""
            if text.isspace() and (removed or added):
                space = text  # kept aside until we know whether a change follows
            else:
                flush()
                joined.append(("same", text))
            continue
        if space:
            removed.append(space)
            added.append(space)
            space = ""
        (removed if kind == "removed" else added).append(text)
    flush()
    if space:
        joined.append(("same", space))
    return joined


def highlight(text: str, ranges: list[tuple[int, int, int]]) -> list[tuple[str, list[int]]]:
    """Split text into pieces, each with the numbers of the comments whose (start, end)
    passage covers it; pieces outside every passage have an empty list."""
    cuts = {0, len(text)}
    for start, end, _ in ranges:
        cuts.update((max(0, min(start, len(text))), max(0, min(end, len(text)))))
    bounds = sorted(cuts)
    pieces = []
    for left, right in zip(bounds, bounds[1:], strict=False):
        covering = [number for start, end, number in ranges if start <= left and right <= end]
        pieces.append((text[left:right], covering))
    return pieces
