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
"""

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

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


@lru_cache(maxsize=512)
def render_markdown(text: str) -> str:
    """Return sanitised HTML for a Markdown text. Pure, so results are cached."""
    return nh3.clean(
        _parser.render(text or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
