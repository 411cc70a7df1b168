"""The languages model answers and readings may be written in.

Codes are BCP 47 tags, as HTML's `lang` attribute expects: script subtags
where a language is written in more than one script (`sr-Cyrl`, `zh-Hans`).
Adding a language is one line here, then `makemigrations`: the model fields take
their choices from this list, and the database refuses rows in a language that
is not listed (a fixture with `de` fails to load instead of breaking pages).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, as a reader looks for it
    english_name: str
    direction: str = "ltr"


ENGLISH = "en"

LANGUAGES: dict[str, Language] = {
    language.code: language
    for language in [
        Language("en", "English", "English"),
        Language("sr-Cyrl", "Српски", "Serbian (Cyrillic)"),
        Language("sr-Latn", "Srpski", "Serbian (Latin)"),
        Language("ko", "한국어", "Korean"),
        Language("zh-Hans", "中文", "Chinese (Simplified)"),
        Language("hr", "Hrvatski", "Croatian"),
        Language("hu", "Magyar", "Hungarian"),
        Language("pl", "Polski", "Polish"),
        Language("ro", "Română", "Romanian"),
        Language("bg", "Български", "Bulgarian"),
        Language("lt", "Lietuvių", "Lithuanian"),
        Language("pt", "Português", "Portuguese"),
        Language("es", "Español", "Spanish"),
        Language("uk", "Українська", "Ukrainian"),
        Language("ar", "العربية", "Arabic", "rtl"),
        Language("ur", "اردو", "Urdu", "rtl"),
    ]
}


def language_choices() -> list[tuple[str, str]]:
    return [(lang.code, f"{lang.name} ({lang.english_name})") for lang in LANGUAGES.values()]


def get_language(code: str | None) -> Language | None:
    return LANGUAGES.get(code or "")


def describe_language(code: str) -> Language:
    """The Language for a code, or a plain stand-in for one that is not listed
    (a row written around the database's check), so no page fails on it."""
    return LANGUAGES.get(code) or Language(code, code, code)


def sort_codes(codes) -> list[Language]:
    """The given codes as Languages, in the order of LANGUAGES (a stable, familiar order)."""
    wanted = set(codes)
    return [lang for code, lang in LANGUAGES.items() if code in wanted]


def pick_language(available: list[str], wanted: str | None) -> str | None:
    """The language to show: the wanted one if it is available, else the first
    non-English one (most readers came for their own language), else any."""
    if wanted in available:
        return wanted
    for lang in sort_codes(available):
        if lang.code != ENGLISH:
            return lang.code
    return available[0] if available else None
