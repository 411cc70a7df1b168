from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from units.languages import interface_tag
from units.markdown import render_markdown
from units.text import count_words

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    # Safe because render_markdown sanitises its output with an allowlist.
    return mark_safe(render_markdown(text))  # noqa: S308


@register.filter(name="word_count")
def word_count_filter(text: str) -> int:
    return count_words(text or "")


@register.filter(name="person")
def person_filter(user) -> str:
    """A person's name, or their username, isolated in <bdi>: whatever characters it
    holds, it cannot reorder the text around it."""
    if not user:
        return ""
    return format_html("<bdi>{}</bdi>", user.get_full_name() or user.get_username())


@register.simple_tag
def language_label(language) -> str:
    """A language's own name, marked with its lang and direction (an include, made cheap
    because lists of criteria show it dozens of times)."""
    return format_html(
        '<span lang="{}" dir="{}">{}</span>', language.code, language.direction, language.name
    )


@register.filter(name="bcp47")
def bcp47_filter(code: str) -> str:
    """Django's language code as the BCP 47 tag HTML wants ("sr" → "sr-Cyrl"),
    for pages drawn without the context processors (the 500 page)."""
    return interface_tag(code)


@register.filter(name="when")
def when_filter(value) -> str:
    """An ISO 8601 time from exported data, as the reader's language writes a date and
    time ("" stays empty)."""
    from datetime import datetime

    from django.utils import timezone
    from django.utils.formats import date_format

    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, "DATETIME_FORMAT")


@register.filter(name="code_label")
def code_label_filter(code: str) -> str:
    """A stored code of the workflow (a status, a decision, an action, a verdict, a
    sign-in event, a record access) as its label in the reader's language."""
    from units.models import (
        Action,
        Answer,
        Decision,
        RecordAccess,
        SecurityEvent,
        Verification,
    )

    for choices in (
        Answer.Status,
        Decision.Outcome,
        Action,
        Verification.Verdict,
        SecurityEvent.Kind,
        RecordAccess.Kind,
    ):
        if code in choices.values:
            return str(choices(code).label)
    return code
