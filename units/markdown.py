"""The one place Markdown becomes HTML.

Every Markdown text the app shows (model answers, readings, drafts' previews,
comments) goes through render_markdown().

- markdown-it-py parses CommonMark in linear time: hostile input such as tens of
  thousands of "[" or "<a " renders in well under a second, where Python-Markdown
  took minutes (measured; see docs/security.md), and deep nesting raises no
  RecursionError.
- Raw HTML in the source is not interpreted: it shows as the text that was typed.
- nh3 then keeps only the tags, attributes and URL schemes listed here, so even
  a parser bug cannot let a script, an event handler or a javascript:/data: URL
  through.
- Bidirectional controls are removed first (as units.text.clean_text does for
  typed text), so no text, link text included, can reorder what surrounds it.
- A passage in another language than the text around it can say so, because a
  screen reader or a browser's font and hyphenation choice need it (an English
  paragraph inside a Chinese model answer): "{lang=en}" alone on the line before
  a block, or "[words]{lang=en}" for a span (mdit-py-plugins' attrs syntax).
  Only `lang` is parsed (an id, class, style or on… attribute written that way
  is dropped), and nh3 keeps it only when its value has the shape of a BCP 47
  tag, so "{lang="x onclick=…"}" gives no attribute at all.

Results are cached, because the same model answers and readings are shown on
every page. The cache is bounded by what it holds in memory, not by a number of
entries: an lru_cache of 512 entries let one person's 1,100 previews of 94 KB
each grow a worker from 55 MB to 384 MB. Here every entry is counted at the size
of its source and its HTML (sys.getsizeof, so a Korean text counts its 2 bytes a
character), the cache never holds more than CACHE_MAX_BYTES, and a text whose
entry would take more than CACHE_MAX_ENTRY_BYTES is rendered and not kept: the
texts worth keeping (model answers, readings, comments) are a few KB, and a
long preview is rarely rendered twice.
"""

import re
import sys
import threading
from collections import OrderedDict

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.attrs.parse import ParseError, parse

from .text import BIDI_CONTROLS

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"lang"},  # the attrs syntax can put it on any block or span; its value is checked
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
}
# No javascript:, data:, vbscript: …: only these schemes survive in links.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# The only attribute the "{…}" syntax may set.
ATTRIBUTE_SYNTAX = ("lang",)
# The shape of a BCP 47 tag (RFC 5646, 2.1): a language subtag of 2 to 8 letters,
# then subtags of 1 to 8 letters or digits ("en", "zh-Hans", "sr-Latn-RS"). 35
# characters is the longest a tag needs to be (RFC 5646, 4.4.1).
LANG_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
LANG_TAG_MAX = 35
# How far after "[words]" a "{…}" is looked for: "{lang=sr-Latn-RS}" fits many times.
# The plugin's own span rule reads the whole rest of the text at every "[words]", which
# made 720 KB of "[a]" take 8 s instead of 1; bounded, it stays linear.
SPAN_ATTRIBUTES_MAX = 100


def _checked_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute_filter: a `lang` that is not a language tag is dropped."""
    if attribute == "lang" and not (len(value) <= LANG_TAG_MAX and LANG_TAG.fullmatch(value)):
        return None
    return value


def _span(state: StateInline, silent: bool) -> bool:
    """ "[words]{lang=en}" is a span of those words with that attribute.

    mdit-py-plugins' span syntax, with the "{…}" read from at most
    SPAN_ATTRIBUTES_MAX characters. No attributes go on links, images or code.
    """
    if state.src[state.pos] != "[":
        return False
    # Where the last "]{" of this inline text is, found once: with none after this "[",
    # there is no span to look for, so "[[[…" costs no second parseLinkLabel.
    last = getattr(state, "_last_span_brace", None)
    if last is None:
        last = state._last_span_brace = state.src.rfind("]{")
    if last < state.pos:
        return False
    label_end = state.md.helpers.parseLinkLabel(state, state.pos, False)
    brace = label_end + 1
    if label_end < 0 or brace >= state.posMax or state.src[brace] != "{":
        return False
    try:
        length, attrs = parse(state.src[brace : min(brace + SPAN_ATTRIBUTES_MAX, state.posMax)])
    except ParseError:
        return False
    if not silent:
        maximum = state.posMax
        state.pos, state.posMax = state.pos + 1, label_end
        token = state.push("span_open", "span", 1)
        token.attrs = {key: value for key, value in attrs.items() if key in ATTRIBUTE_SYNTAX}
        state.md.inline.tokenize(state)
        state.push("span_close", "span", -1)
        state.posMax = maximum
    state.pos = brace + length + 1
    return True


_parser = (
    MarkdownIt("commonmark", {"html": False})
    .enable(["table", "strikethrough"])
    # "{lang=en}" alone on a line gives the block below it that attribute.
    .use(attrs_block_plugin, allowed=ATTRIBUTE_SYNTAX)
)
_parser.inline.ruler.after("link", "span", _span)


CACHE_MAX_BYTES = 4 * 1024 * 1024
CACHE_MAX_ENTRY_BYTES = 64 * 1024


class SizedCache:
    """A least-recently-used cache that holds at most max_bytes of entries.

    Shared by a worker's threads, hence the lock; currsize is its own accounting.
    """

    def __init__(self, max_bytes: int, max_entry_bytes: int):
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.currsize = 0
        self._entries: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: str, value: str) -> None:
        size = sys.getsizeof(key) + sys.getsizeof(value)
        if size > self.max_entry_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.currsize -= old[1]
            self._entries[key] = (value, size)
            self.currsize += size
            while self.currsize > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self.currsize -= evicted

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.currsize = 0


cache = SizedCache(CACHE_MAX_BYTES, CACHE_MAX_ENTRY_BYTES)


def markdown_tokens(text: str) -> list:
    """The tokens of a Markdown text as render_markdown reads it, for search's words
    (so "[words]{lang=en}" is indexed as its words, not its markup)."""
    return _parser.parse(text or "")


def render_markdown(text: str) -> str:
    """Return sanitised HTML for a Markdown text. Pure, so results are cached."""
    text = text or ""
    html = cache.get(text)
    if html is None:
        html = nh3.clean(
            _parser.render(BIDI_CONTROLS.sub("", text)),
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            attribute_filter=_checked_attribute,
            url_schemes=ALLOWED_URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
        )
        cache.put(text, html)
    return html
