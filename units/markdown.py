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

import sys
import threading
from collections import OrderedDict

import nh3
from markdown_it import MarkdownIt

from .text import BIDI_CONTROLS

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
}
# No javascript:, data:, vbscript: …: only these schemes survive in links.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

_parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


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


def render_markdown(text: str) -> str:
    """Return sanitised HTML for a Markdown text. Pure, so results are cached."""
    text = text or ""
    html = cache.get(text)
    if html is None:
        html = nh3.clean(
            _parser.render(BIDI_CONTROLS.sub("", text)),
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=ALLOWED_URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
        )
        cache.put(text, html)
    return html
