"""Text rules shared by drafts and revisions: cleaning, counting, comparing.

static/js/drafting.js counts words the same way, so the count a candidate sees
while typing is the count stored with a revision.
"""

import difflib
import re

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


def diff_words(old: str, new: str) -> list[tuple[str, str]]:
    """A word-level diff as (kind, text) pieces; kind is "same", "removed" or "added"."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    pieces: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[a1:a2])))
            continue
        if a1 != a2:
            pieces.append(("removed", "".join(a[a1:a2])))
        if b1 != b2:
            pieces.append(("added", "".join(b[b1:b2])))
    return pieces


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
