"""The languages model answers and readings may be written in.

Codes are BCP 47 tags, as HTML's `lang` attribute expects: script subtags
where a language is written in more than one script (`sr-Cyrl`, `zh-Hans`).
Adding a language is one line here, then `makemigrations`: the model fields take
their choices from this list, and the database refuses rows in a language that
is not listed (a fixture with `de` fails to load instead of breaking pages).
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext


def gettext_noop(message: str) -> str:
    """Marks a name for the catalogues, translated when shown (Language.label).
    Not Django's gettext_noop: that reads settings, and settings import this module."""
    return message


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, as a reader looks for it
    english_name: str  # marked with gettext_noop so the catalogues hold it
    direction: str = "ltr"

    @property
    def label(self) -> str:
        """The language's name in the reader's interface language."""
        return gettext(self.english_name)


ENGLISH = "en"

LANGUAGES: dict[str, Language] = {
    language.code: language
    for language in [
        Language("en", "English", gettext_noop("English")),
        Language("sr-Cyrl", "Српски", gettext_noop("Serbian (Cyrillic)")),
        Language("sr-Latn", "Srpski", gettext_noop("Serbian (Latin)")),
        Language("ko", "한국어", gettext_noop("Korean")),
        Language("zh-Hans", "中文", gettext_noop("Chinese (Simplified)")),
        Language("hr", "Hrvatski", gettext_noop("Croatian")),
        Language("hu", "Magyar", gettext_noop("Hungarian")),
        Language("pl", "Polski", gettext_noop("Polish")),
        Language("ro", "Română", gettext_noop("Romanian")),
        Language("bg", "Български", gettext_noop("Bulgarian")),
        Language("lt", "Lietuvių", gettext_noop("Lithuanian")),
        Language("pt", "Português", gettext_noop("Portuguese")),
        Language("es", "Español", gettext_noop("Spanish")),
        Language("uk", "Українська", gettext_noop("Ukrainian")),
        Language("ar", "العربية", gettext_noop("Arabic"), "rtl"),
        Language("ur", "اردو", gettext_noop("Urdu"), "rtl"),
    ]
}


def language_choices() -> list[tuple[str, str]]:
    return [(lang.code, f"{lang.name} · {lang.label}") for lang in LANGUAGES.values()]


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


def canonical_tag(value: str | None) -> str | None:
    """A listed content language for a tag written in any case ("SR-latn",
    "zh-hans"), or None for one that is not listed."""
    if not value:
        return None
    return _BY_LOWER_TAG.get(value.strip().lower())


_BY_LOWER_TAG = {code.lower(): code for code in LANGUAGES}


# The interface languages. Django names its catalogues by its own codes
# ("sr" is Serbian in Cyrillic, "sr-latn", "zh-hans"); HTML and the content
# use BCP 47 tags. This table is the one place the two are mapped.
@dataclass(frozen=True)
class InterfaceLanguage:
    code: str  # Django's: settings.LANGUAGES, the catalogues, the cookie
    tag: str  # BCP 47: <html lang>, Intl in the browser
    name: str  # in the language itself, as the switcher shows it
    content_language: str  # the model-answer language a reader of it most likely wants


INTERFACE_LANGUAGES: dict[str, InterfaceLanguage] = {
    language.code: language
    for language in [
        InterfaceLanguage("en-gb", "en-GB", "English", "en"),
        InterfaceLanguage("sr", "sr-Cyrl", "Српски", "sr-Cyrl"),
        InterfaceLanguage("sr-latn", "sr-Latn", "Srpski", "sr-Latn"),
        InterfaceLanguage("ko", "ko", "한국어", "ko"),
        InterfaceLanguage("zh-hans", "zh-Hans", "简体中文", "zh-Hans"),
        InterfaceLanguage("hr", "hr", "Hrvatski", "hr"),
        InterfaceLanguage("hu", "hu", "Magyar", "hu"),
    ]
}
DEFAULT_INTERFACE_LANGUAGE = "en-gb"

_INTERFACE_BY_LOWER = {
    **{language.tag.lower(): language.code for language in INTERFACE_LANGUAGES.values()},
    **{code: code for code in INTERFACE_LANGUAGES},
    "sr-cyrl": "sr",
    "en": "en-gb",
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
}


def interface_code(value: str | None) -> str | None:
    """The interface language (Django's code) for a code or tag in any case,
    or None when the app does not speak it."""
    if not value:
        return None
    return _INTERFACE_BY_LOWER.get(value.strip().lower().replace("_", "-"))


def interface_tag(code: str | None) -> str:
    """The BCP 47 tag of an interface language, for <html lang>."""
    language = INTERFACE_LANGUAGES.get(interface_code(code) or "")
    return language.tag if language else INTERFACE_LANGUAGES[DEFAULT_INTERFACE_LANGUAGE].tag


def from_accept_language(header: str) -> str | None:
    """The interface language a browser asks for first that the app speaks.

    Each range is tried whole, then shortened ("sr-Latn-RS" → "sr-Latn" → "sr"),
    so a script subtag is honoured before the bare language.
    """
    # Imported here: settings import this module, and trans_real must not load
    # before settings have (it would read a half-made settings module).
    from django.utils.translation.trans_real import parse_accept_lang_header

    for accepted, _quality in parse_accept_lang_header(header or ""):
        if accepted == "*":
            break
        parts = accepted.split("-")
        for end in range(len(parts), 0, -1):
            code = interface_code("-".join(parts[:end]))
            if code:
                return code
    return None


def stored_interface_language(user) -> str | None:
    """A person's own choice of interface language (on their profile), if any."""
    profile = getattr(user, "profile", None) if user is not None else None
    return interface_code(getattr(profile, "interface_language", ""))


def interface_language_of(user) -> str:
    """The interface language to write to a person in (their emails): their
    stored choice, else the site's default."""
    return stored_interface_language(user) or settings.LANGUAGE_CODE
