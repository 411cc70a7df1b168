"""The one place Markdown becomes HTML.

Every Markdown text the app shows (model answers, readings, and later drafts
and comments) goes through render_markdown(). Python-Markdown passes raw HTML
through, so its output is never trusted: nh3 keeps only the tags, attributes
and URL schemes listed here and drops everything else, including the content
of <script> and <style>.
"""

from functools import lru_cache

import markdown as python_markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
# No javascript:, data:, vbscript: …: only these schemes survive in links.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["sane_lists", "tables", "fenced_code"]


@lru_cache(maxsize=512)
def render_markdown(text: str) -> str:
    """Return sanitised HTML for a Markdown text. Pure, so results are cached."""
    html = python_markdown.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
