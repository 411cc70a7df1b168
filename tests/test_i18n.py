"""The interface in seven languages: complete catalogues, the choice of language
(browser, switcher, the person's stored choice), language tags, dates, plurals,
the script catalogue and emails in the recipient's language."""

import re
import shutil
import subprocess
from html.parser import HTMLParser

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from units import services
from units.languages import INTERFACE_LANGUAGES, interface_code, interface_tag
from units.models import LearningOutcome, Profile

LOCALE_DIR = settings.BASE_DIR / "locale"
TRANSLATED = [code for code in INTERFACE_LANGUAGES if code != settings.LANGUAGE_CODE]
CATALOGUES = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def locale_dir_name(code: str) -> str:
    return translation.to_locale(code)


# --- The catalogues ----------------------------------------------------------------


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_language_has_both_catalogues(code):
    folder = LOCALE_DIR / locale_dir_name(code) / "LC_MESSAGES"
    for domain in ("django", "djangojs"):
        assert (folder / f"{domain}.po").exists(), f"{code}: no {domain}.po"
        assert (folder / f"{domain}.mo").exists(), f"{code}: {domain}.po is not compiled"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_catalogue_is_complete_with_placeholders_intact(path):
    po = polib.pofile(str(path))
    assert po.metadata.get("Language"), "the header names its language"
    nplurals = int(re.search(r"nplurals=(\d+)", po.metadata["Plural-Forms"]).group(1))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            assert len(entry.msgstr_plural) == nplurals, entry.msgid
            wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural))
            for form in entry.msgstr_plural.values():
                if sorted(PLACEHOLDER.findall(form)) != wanted:
                    problems.append((entry.msgid, form))
        elif sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
            problems.append((entry.msgid, entry.msgstr))
    assert problems == []


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="GNU gettext's msgfmt is not installed")
@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_catalogue_passes_msgfmt_check(path):
    result = subprocess.run(  # noqa: S603
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(path)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_committed_mo_matches_its_po(path):
    """The .mo files are committed (running the app needs no gettext): a .po
    changed without `make messages` would ship stale translations."""

    def entries(catalogue):
        return {
            (e.msgctxt, e.msgid): e.msgstr or dict(sorted(e.msgstr_plural.items()))
            for e in catalogue
            if not e.obsolete and e.msgid
        }

    assert entries(polib.mofile(str(path.with_suffix(".mo")))) == entries(
        polib.pofile(str(path))
    ), f"run `make messages` to compile {path.name}"


@pytest.mark.parametrize(
    ("code", "forms"),
    [("sr", 3), ("sr-latn", 3), ("hr", 3), ("hu", 2), ("ko", 1), ("zh-hans", 1), ("en-gb", 2)],
)
def test_plural_forms_follow_each_language(code, forms):
    """Serbian and Croatian say 1 reč, 3 reči, 5 reči (three forms), Hungarian two,
    Korean and Chinese one: the catalogue in use picks among that many forms."""
    from django.utils.translation import trans_real

    catalogue = trans_real.translation(code)
    picked = {catalogue.plural(n) for n in (0, 1, 2, 3, 5, 11, 21, 22, 25, 101)}
    assert len(picked) == forms, (code, picked)
    if code in {"sr", "hr"}:
        assert catalogue.plural(1) == catalogue.plural(21) != catalogue.plural(11)
        assert catalogue.plural(3) == catalogue.plural(22) != catalogue.plural(5)


# --- Choosing the language -----------------------------------------------------------


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize(
    ("header", "tag"),
    [
        ("ko-KR,ko;q=0.9,en;q=0.8", "ko"),
        ("sr-Latn-RS,sr;q=0.8", "sr-Latn"),
        ("sr-RS", "sr-Cyrl"),
        ("sr", "sr-Cyrl"),
        ("zh-CN,zh;q=0.9", "zh-Hans"),
        ("hr-HR", "hr"),
        ("hu", "hu"),
        ("de-DE,fr;q=0.5", "en-GB"),
        ("", "en-GB"),
        ("en-US", "en-GB"),
    ],
)
def test_first_visit_follows_accept_language(client, db, header, tag):
    response = client.get(reverse("units:home"), HTTP_ACCEPT_LANGUAGE=header)
    assert html_lang(response) == tag
    assert response["Content-Language"] == tag
    assert "Accept-Language" in response["Vary"]


def test_switcher_lists_each_language_in_its_own_name(client, db):
    page = client.get(reverse("units:home")).content.decode()
    for language in INTERFACE_LANGUAGES.values():
        assert f'value="{language.code}" class="dropdown-item" lang="{language.tag}"' in page
        assert f">{language.name}</button>" in page


def test_switcher_sets_the_browsers_language_and_returns_to_the_page(client, db):
    back_to = reverse("units:progress")
    response = client.post(
        reverse("units:choose_language"), {"language": "ZH-hans", "next": back_to}
    )
    assert response.status_code == 302 and response["Location"] == back_to
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert html_lang(client.get(reverse("units:home"), HTTP_ACCEPT_LANGUAGE="ko")) == "zh-Hans"


def test_switcher_refuses_an_unknown_language_and_an_outside_address(client, db):
    response = client.post(
        reverse("units:choose_language"), {"language": "klingon", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("units:home")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    page = client.get(response["Location"]).content.decode()
    assert "does not speak “klingon”" in page


def sign_in(client, user, password=None, **headers):
    return client.post(
        reverse("login"),
        {"username": user.username, "password": password or f"pw-{user.username}"},
        **headers,
    )


def test_the_persons_choice_is_stored_and_follows_them_to_a_fresh_browser(client, people):
    alice = people["alice"]
    client.force_login(alice)
    client.post(reverse("units:choose_language"), {"language": "ko", "next": "/"})
    assert Profile.objects.get(user=alice).interface_language == "ko"

    fresh = Client(HTTP_ACCEPT_LANGUAGE="hu")
    assert html_lang(fresh.get(reverse("login"))) == "hu"  # before signing in: the browser's
    sign_in(fresh, alice)
    assert html_lang(fresh.get(reverse("units:home"))) == "ko"  # after: hers


def test_the_stored_choice_wins_over_the_cookie_and_the_header(client, people):
    Profile.objects.create(user=people["alice"], interface_language="sr-latn")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hu"
    client.force_login(people["alice"])
    assert html_lang(client.get(reverse("units:home"), HTTP_ACCEPT_LANGUAGE="ko")) == "sr-Latn"


def test_shared_computer_next_person_gets_their_own_language(client, people):
    Profile.objects.create(user=people["alice"], interface_language="ko")
    Profile.objects.create(user=people["carol"], interface_language="hu")
    client.force_login(people["alice"])
    assert html_lang(client.get(reverse("units:home"))) == "ko"
    client.post(reverse("logout"))
    client.force_login(people["carol"])
    assert html_lang(client.get(reverse("units:queue"))) == "hu"


def test_language_settings_keep_the_two_languages_apart(client, people):
    client.force_login(people["alice"])
    page = client.get(reverse("units:language_settings")).content.decode()
    assert '<option value="ko" lang="ko">한국어</option>' in page
    response = client.post(
        reverse("units:language_settings"),
        {"interface_language": "en-gb", "answer_language": "ko"},
        follow=True,
    )
    profile = Profile.objects.get(user=people["alice"])
    assert (profile.interface_language, profile.answer_language) == ("en-gb", "ko")
    assert html_lang(response) == "en-GB"


def test_language_settings_refuse_an_unknown_language(client, people):
    client.force_login(people["alice"])
    response = client.post(
        reverse("units:language_settings"), {"interface_language": "xx", "answer_language": "ko"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Profile.objects.filter(user=people["alice"], answer_language="ko").exists()


def test_admins_can_set_a_persons_interface_language(client, people):
    client.force_login(people["admin"])
    page = client.get(reverse("admin:auth_user_change", args=[people["alice"].pk]))
    assert 'name="profile-0-interface_language"' in page.content.decode()


def test_an_english_interface_can_go_with_a_korean_model_answer(client, people, content):
    Profile.objects.create(user=people["alice"], interface_language="en-gb", answer_language="ko")
    client.force_login(people["alice"])
    page = client.get(reverse("units:criterion", args=["f3", "3.5"])).content.decode()
    assert '<html lang="en-GB">' in page
    assert 'class="card model-answer" lang="ko"' in page


def test_a_korean_interface_shows_the_korean_model_answer_first(client, content):
    page = client.get(
        reverse("units:criterion", args=["f3", "3.5"]), HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    assert 'class="card model-answer" lang="ko"' in page


@pytest.mark.parametrize(
    ("asked", "shown"), [("KO", "ko"), ("sr-cyrl", "sr-Cyrl"), ("SR-CYRL", "sr-Cyrl")]
)
def test_lang_in_the_address_is_case_insensitive(client, content, asked, shown):
    page = client.get(reverse("units:criterion", args=["f3", "3.5"]), {"lang": asked})
    assert f'class="card model-answer" lang="{shown}"' in page.content.decode()


def test_an_unknown_lang_in_the_address_says_so(client, content):
    page = client.get(reverse("units:criterion", args=["f3", "3.5"]), {"lang": "xx-Fake"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "xx-Fake" in text and "no language" in text.lower()


def test_language_code_mapping_is_one_table():
    assert interface_tag("sr") == "sr-Cyrl" and interface_tag("zh-hans") == "zh-Hans"
    assert interface_code("sr-Cyrl") == interface_code("SR") == "sr"
    assert interface_code("sr_Latn") == "sr-latn"
    assert interface_code("de") is None
    assert [code for code, _name in settings.LANGUAGES] == list(INTERFACE_LANGUAGES)


# --- The script catalogue ---------------------------------------------------------------


def test_script_catalogue_is_a_file_per_language(client, db):
    response = client.get(reverse("units:javascript_catalogue", args=["sr"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "max-age" in response["Cache-Control"]
    body = response.content.decode()
    assert "pluralidx" in body and "n%10==1" in body.replace(" ", "")
    assert client.get(reverse("units:javascript_catalogue", args=["de"])).status_code == 404


def test_pages_load_the_catalogue_of_their_language_without_inline_script(client, db):
    page = client.get(reverse("units:home"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert f'src="{reverse("units:javascript_catalogue", args=["ko"])}"' in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None


# --- Emails --------------------------------------------------------------------------------


def test_emails_are_written_in_each_recipients_language(people, criterion, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Profile.objects.create(user=people["alice"], interface_language="ko")
    Profile.objects.create(user=people["carol"], interface_language="hu")
    revision = services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="My own words.",
        base_version=0, declaration=True,
    )  # fmt: skip
    services.comment_add(answer=revision.answer, author=people["carol"], body="Say more.")
    services.answer_return(answer=revision.answer, assessor=people["carol"])
    call_command("deliver_notifications", verbosity=0)
    by_recipient = {message.to[0]: message for message in mail.outbox}
    to_carol, to_alice = by_recipient["carol@example.com"], by_recipient["alice@example.com"]
    assert re.search(r"[가-힣]", to_alice.subject + to_alice.body)
    assert not re.search(r"[가-힣]", to_carol.subject + to_carol.body)
    assert re.search(r"[áéíóöőúüű]", to_carol.body), to_carol.body
    assert criterion.question in to_alice.body  # assessed in English, quoted as it is


# --- Dates ------------------------------------------------------------------------------------


def test_dates_follow_the_interface_language(client, people, criterion):
    Profile.objects.create(user=people["alice"], interface_language="ko")
    revision = services.draft_submit(
        candidate=people["alice"], criterion=criterion, text="My own words.",
        base_version=0, declaration=True,
    )  # fmt: skip
    client.force_login(people["alice"])
    page = client.get(reverse("units:revisions", args=[revision.answer.pk])).content.decode()
    assert re.search(r"\d{4}년 \d{1,2}월 \d{1,2}일", page), "a Korean date: 2026년 11월 25일"


# --- No English left in a translated interface ------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
LABELS = ("aria-label", "title", "placeholder", "alt")


class InterfaceText(HTMLParser):
    """The text a reader sees (and the labels a screen reader reads) that is in
    the interface's language: content tagged with another language, people's
    names (<bdi>, translate="no"), scripts and styles are left out."""

    def __init__(self, page_lang: str):
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang
        self.stack: list[bool] = []  # per open element: is it outside interface text?
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        outside = bool(self.stack and self.stack[-1])
        lang = attrs.get("lang")
        if tag == "html":
            lang = None
        if (
            (lang is not None and lang != self.page_lang)
            or attrs.get("translate") == "no"  # a person's name
            or tag in {"bdi", "script", "style"}
        ):
            outside = True
        if not outside:
            self.parts.extend(attrs[name] for name in LABELS if attrs.get(name))
            if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in VOID:
            self.stack.append(outside)

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def interface_text(page: str, tag: str) -> str:
    parser = InterfaceText(tag)
    parser.feed(page)
    return " ".join(parser.parts)


# Names that stay as they are in every language.
KEPT = {"NVQ", "Ofqual", "Markdown", "LO", "PDF", "ZIP", "JSON"}
ENGLISH_WORDS = {
    "the", "and", "your", "you", "answer", "answers", "save", "saved", "submit", "criterion",
    "criteria", "sign", "review", "draft", "words", "with", "this", "have", "are", "from",
    "what", "will", "been", "here", "there", "which", "please", "yet", "units", "unit", "progress",
    "comment", "comments", "accepted", "returned", "revision", "language", "model", "password",
}  # fmt: skip


def english_left(text: str, tag: str) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z'’]+", text)
    if tag in {"ko", "zh-Hans", "sr-Cyrl"}:
        # A non-Latin script: any Latin word is English left behind (codes such as
        # F3 or LO4 have digits and are not matched as words).
        return sorted({w for w in words if w not in KEPT and not re.fullmatch(r"[A-Z]{1,2}", w)})
    return sorted({w for w in words if w.lower() in ENGLISH_WORDS})


@pytest.fixture
def portfolio(people, content):
    """Alice's answer to F3 3.5, submitted, commented on and returned, with a
    reply: every kind of page has something to show."""
    criterion = LearningOutcome.objects.get(unit__code="F3", code="3.5")
    revision = services.draft_submit(
        candidate=people["alice"], criterion=criterion,
        text="Teamwork matters because **customers** notice.", base_version=0, declaration=True,
    )  # fmt: skip
    answer = revision.answer
    services.comment_add(
        answer=answer, author=people["carol"], body="Give an example from your work.",
        quote="customers",
    )  # fmt: skip
    services.answer_return(answer=answer, assessor=people["carol"])
    return answer


def pages_for(answer):
    criterion = answer.learning_outcome
    unit, code = criterion.unit.slug, criterion.code
    reading = "customer-service-standards-and-procedures"
    return {
        "anonymous": [
            reverse("units:home"),
            reverse("units:unit", args=[unit]),
            reverse("units:criterion", args=[unit, code]),
            reverse("login"),
            reverse("password_reset"),
            reverse("units:reading", args=[reading]),
            "/no-such-page/",
        ],
        "alice": [
            reverse("units:home"),
            reverse("units:unit", args=[unit]),
            reverse("units:write", args=[unit, code]),
            reverse("units:revisions", args=[answer.pk]),
            reverse("units:progress"),
            reverse("units:language_settings"),
            reverse("password_change"),
            reverse("units:queue"),  # 403: the refusal page
        ],
        "carol": [
            reverse("units:home"),
            reverse("units:queue"),
            reverse("units:review", args=[answer.pk]),
            reverse("units:portfolios"),
            reverse("units:portfolio", args=[answer.candidate_id]),
            reverse("units:portfolio_unit", args=[answer.candidate_id, unit]),
            reverse("units:exports"),
            reverse("units:personal_data"),
        ],
        "grace": [
            reverse("units:sample"),
            reverse("units:sampling_plan"),
            reverse("units:sample_decision", args=[answer.decisions.get().pk]),
        ],
        "tom": [reverse("units:portfolios")],
    }


@pytest.mark.parametrize("code", TRANSLATED)
def test_no_english_left_in_a_translated_interface(client, people, portfolio, code):
    from units.models import Reading

    assert Reading.objects.filter(slug="customer-service-standards-and-procedures").exists()
    tag = interface_tag(code)
    found = {}
    for role, urls in pages_for(portfolio).items():
        browser = Client()
        browser.cookies[settings.LANGUAGE_COOKIE_NAME] = code
        if role != "anonymous":
            browser.force_login(people[role])
        for url in urls:
            response = browser.get(url)
            assert html_lang(response) == tag, url
            left = english_left(interface_text(response.content.decode(), tag), tag)
            if left:
                found[f"{role} {url}"] = left
    assert found == {}


# --- Error pages --------------------------------------------------------------------------


def test_error_pages_speak_the_readers_language(db):
    strict = Client(enforce_csrf_checks=True, raise_request_exception=False)
    lenient = Client(raise_request_exception=False)
    for browser in (strict, lenient):
        browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "sr"
    utf16 = "application/x-www-form-urlencoded; charset=utf-16"
    for response, status in [
        (lenient.get("/no-such-page/"), 404),
        (strict.post(reverse("login"), {"username": "x"}), 403),  # no CSRF token
        (lenient.post(reverse("login"), b"username=x", content_type=utf16), 400),
    ]:
        assert response.status_code == status
        page = response.content.decode()
        assert html_lang(response) == "sr-Cyrl", status
        assert english_left(interface_text(page, "sr-Cyrl"), "sr-Cyrl") == [], status


def test_the_500_page_speaks_the_active_language():
    from django.template.loader import render_to_string

    with translation.override("ko"):
        page = render_to_string("500.html")
    assert '<html lang="ko"' in page
    assert english_left(interface_text(page, "ko"), "ko") == []
    assert re.search(r"[가-힣]", page)
