import pytest

from units.text import clean_text, count_words, diff_words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("Teamwork matters.", 2),
        ("  spaced   out\n\nlines  ", 3),
        ("- a list\n- of items", 4),  # list markers are not words
        ("质量标准和时间表", 8),  # Chinese: each character is a word
        ("质量标准。Quality standards.", 6),
        ("日本語のテキスト", 8),  # Japanese kana and kanji
        ("우수한 고객 서비스를 제공하기", 4),  # Korean is written with spaces
        ("Српски текст овде", 3),
        ("emoji 🙂 here", 2),
    ],
)
def test_count_words(text, words):
    assert count_words(text) == words


def test_a_chinese_paragraph_is_not_one_word():
    paragraph = "反馈是一个过程,组织通过哪个过程接收客户的反应。"
    assert count_words(paragraph) > 20


def test_clean_text_drops_nul_and_normalises_line_ends():
    assert clean_text("a\x00b\r\nc\rd") == "ab\nc\nd"


def test_diff_words_marks_removed_and_added_words():
    pieces = diff_words("We help customers quickly.", "We help internal customers quickly.")
    assert ("added", "internal ") in pieces
    assert "".join(text for kind, text in pieces if kind != "removed") == (
        "We help internal customers quickly."
    )


def test_diff_words_splits_chinese_by_character():
    pieces = diff_words("质量标准", "质量时间")
    assert ("same", "质量") in pieces and ("removed", "标准") in pieces
