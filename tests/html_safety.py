"""Check rendered HTML by its structure, not its text: hostile input may still be
*shown* (as text the user typed), but must never become markup that acts."""

from html.parser import HTMLParser

SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
SAFE_SCHEMES = ("http://", "https://", "mailto:")


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag not in SAFE_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "src", "srcdoc", "action", "formaction"}:
                self.problems.append(f"{tag}[{name}]")
            if name == "href" and not (value or "").lower().startswith(SAFE_SCHEMES):
                self.problems.append(f"href={value!r}")


def unsafe_markup(html: str) -> list[str]:
    collector = _Collector()
    collector.feed(html)
    return collector.problems
