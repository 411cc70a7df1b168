import time

import pytest

from units.markdown import render_markdown

from .html_safety import unsafe_markup


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "<javascript:alert(1)>",
        '<img src="x" onerror="alert(1)">',
        '<svg onload="alert(1)"><circle/></svg>',
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        '<a href="vbscript:msgbox(1)">x</a>',
        '<iframe src="https://elsewhere.example"></iframe>',
        '<meta http-equiv="refresh" content="0;url=https://elsewhere.example">',
        "<style>body{display:none}</style>",
        '<form action="https://elsewhere.example"><input name="a"></form>',
        '<p style="background:url(javascript:alert(1))" onclick="alert(1)">x</p>',
    ],
)
def test_hostile_markdown_is_harmless(source):
    html = render_markdown(source)
    assert unsafe_markup(html) == [], html


def test_raw_html_shows_as_the_text_that_was_typed():
    html = render_markdown("<script>alert(1)</script>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html


@pytest.mark.parametrize(
    "source",
    [
        "[" * 50_000,
        "[a](" * 25_000,
        "![" * 30_000,
        "<a " * 30_000,
        "*a " * 30_000,
        "".join("  " * depth + "- x\n" for depth in range(1000)),
        "> " * 10_000 + "x",
        "\n".join(">" * depth + " x" for depth in range(1, 3000)),
        "{" * 50_000,
        "[a]" * 30_000,
        "[a]{" * 25_000,
        '[a]{lang="' * 20_000,
        "[a]{%" * 20_000,
        "[" * 50_000 + "]{",
        "{lang=en}\n" * 20_000,
        "{%" + "}" * 100_000,
    ],
    ids=[
        "brackets", "links", "images", "tags", "emphasis", "deep-list", "deep-quote", "quotes",
        "braces", "spans", "span-braces", "span-quotes", "span-comments", "brackets-then-brace",
        "attribute-lines", "attribute-comment",
    ],
)  # fmt: skip
def test_pathological_markdown_renders_quickly_and_safely(source):
    started = time.perf_counter()
    html = render_markdown(source)
    # A bound on blow-up, not a speed target: Python-Markdown took minutes on these.
    assert time.perf_counter() - started < 10
    assert unsafe_markup(html) == []


def test_markdown_structure_is_kept():
    html = render_markdown("Intro:\n\n- one\n- two\n\n**bold** and [link](https://example.org)")
    assert "<ul>" in html and html.count("<li>") == 2
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_ordered_list_keeps_its_start_number():
    assert '<ol start="5">' in render_markdown("5. fifth\n6. sixth")


def test_text_that_looks_like_html_is_escaped_not_dropped():
    html = render_markdown("Use a < b and 3 > 2 & so on")
    assert "a &lt; b" in html and "3 &gt; 2" in html


def test_cjk_text_round_trips():
    text = "고객 서비스는 중요합니다. 质量标准和时间表。Српски текст."
    assert text in render_markdown(text)


def test_a_paragraph_or_a_span_can_say_its_language():
    assert render_markdown("{lang=en}\nOur organisation") == '<p lang="en">Our organisation</p>\n'
    html = render_markdown("满意度。[Our organisation has an (______) day]{lang=en}")
    assert html == '<p>满意度。<span lang="en">Our organisation has an (______) day</span></p>\n'
    assert '<h2 lang="sr-Latn">' in render_markdown("{lang=sr-Latn}\n## Naslov")
    assert '<span lang="zh-Hans"><em>中文</em></span>' in render_markdown("[*中文*]{lang=zh-Hans}")


@pytest.mark.parametrize(
    "source",
    [
        "{#top .lead style=color:red lang=en}\npara",
        "[words]{#top .lead style=color:red title=x}",
        "[words]{onclick=alert lang=en}",
        "{onmouseover=alert}\npara",
        '[words]{href="javascript:alert(1)"}',
        "[link](https://example.org){onclick=alert .x}",
        "`code`{onclick=alert}",
    ],
)
def test_the_attribute_syntax_sets_no_attribute_but_lang(source):
    html = render_markdown(source)
    assert unsafe_markup(html) == [], html
    for name in ("id=", "class=", "style=", "onclick=", "onmouseover=", "title="):
        assert f" {name}" not in html, html
    assert "javascript" not in html or "href" not in html


@pytest.mark.parametrize(
    "value",
    [
        '"x onclick=alert(1)"',
        '"en\\" onclick=\\"alert(1)"',
        '"en><script>alert(1)</script>"',
        '"javascript:alert(1)"',
        "e",
        "en_GB",
        "en-",
        "-en",
        "en--GB",
        "toolongtag",
        "en-" + "abcdefgh-" * 4 + "x",  # 40 characters: longer than a tag needs to be
        '""',
    ],
)
def test_a_lang_that_is_not_a_language_tag_is_dropped(value):
    for source in (f"{{lang={value}}}\npara", f"[words]{{lang={value}}}"):
        html = render_markdown(source)
        assert "lang=" not in html, html
        assert unsafe_markup(html) == [], html


def test_typed_html_with_lang_stays_text():
    html = render_markdown('<span lang="en" onclick="alert(1)">x</span>')
    assert "&lt;span" in html and "<span" not in html
