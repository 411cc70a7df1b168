import random
import signal
import string
import time
from contextlib import contextmanager

import pytest
from django.urls import reverse

from units import services
from units.text import MAX_ANSWER_CHARS, clean_text, count_words, diff_words, word_diff


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


def test_diff_words_keeps_a_word_whole_and_chinese_by_character():
    pieces = diff_words("质量标准。Quality standards.", "质量时间。Quality standard.")
    assert pieces == [
        ("same", "质量"),
        ("removed", "标准"),
        ("added", "时间"),
        ("same", "。Quality "),
        ("removed", "standards."),
        ("added", "standard."),
    ]


def test_diff_words_joins_changed_words_across_the_space_between_them():
    pieces = diff_words("The cat sat down.", "A dog sat down.")
    assert pieces == [("removed", "The cat"), ("added", "A dog"), ("same", " sat down.")]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("", ""),
        ("", "New text."),
        ("Old text.", ""),
        ("Same.", "Same."),
        ("a b c d e", "e d c b a"),
        ("Line one.\n\nLine two.", "Line one.\nLine 1.5.\n\nLine two!"),
        ("우수한 고객 서비스", "우수한 서비스를 제공"),
        ("质量标准和时间表", "时间表和质量标准"),
    ],
)
def test_diff_words_pieces_make_both_texts(old, new):
    pieces = diff_words(old, new)
    assert "".join(text for kind, text in pieces if kind != "added") == old
    assert "".join(text for kind, text in pieces if kind != "removed") == new
    assert all(text for _, text in pieces)
    kinds = [kind for kind, _ in pieces]
    assert all(a != b for a, b in zip(kinds, kinds[1:], strict=False))  # merged runs


def prose(chars: int, seed: int) -> str:
    """chars characters of words in sentences and paragraphs, from a large vocabulary."""
    rng = random.Random(seed)  # noqa: S311 - test data, not security
    words, length = [], 0
    while length < chars:
        word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9)))
        word += rng.choice([".", ",", ""] + [""] * 7) + rng.choice(["\n\n"] + [""] * 60)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:chars]


@contextmanager
def time_limit(seconds: float):
    """Fail, rather than hang, when the code inside takes longer than seconds."""

    def stop(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_two_huge_different_texts_are_compared_in_bounded_time():
    old, new = prose(MAX_ANSWER_CHARS, seed=1), prose(MAX_ANSWER_CHARS, seed=2)
    started = time.monotonic()
    with time_limit(5):  # generous: the budget is well under a second
        pieces = diff_words(old, new)
    assert time.monotonic() - started < 5
    assert "".join(text for kind, text in pieces if kind != "added") == old
    assert "".join(text for kind, text in pieces if kind != "removed") == new
    assert len(pieces) <= 10_000  # bounded markup whatever the texts


def test_too_many_changes_are_shown_as_both_texts():
    old, new = prose(MAX_ANSWER_CHARS, seed=1), prose(MAX_ANSWER_CHARS, seed=2)
    assert word_diff(old, new) == ([("removed", old), ("added", new)], False)
    assert word_diff("one two three", "1 two 3", max_marks=3).pieces == [
        ("removed", "one two three"),
        ("added", "1 two 3"),
    ]


def test_a_long_answer_revised_throughout_is_still_marked_word_by_word():
    old = prose(12_000, seed=3)  # about 2,000 words
    words = old.split(" ")
    new = " ".join(word.upper() if n % 10 == 0 else word for n, word in enumerate(words))
    diff = word_diff(old, new)
    assert diff.marked
    assert ("added", words[10].upper()) in diff.pieces


@pytest.mark.django_db
def test_pages_with_two_huge_different_revisions_answer_quickly(client, people, criterion):
    alice, carol = people["alice"], people["carol"]
    old, new = prose(MAX_ANSWER_CHARS, seed=1), prose(MAX_ANSWER_CHARS, seed=2)
    first = services.draft_submit(
        candidate=alice, criterion=criterion, text=old, base_version=0, declaration=True
    )
    services.comment_add(answer=first.answer, author=carol, body="Start again.")
    answer = services.answer_return(answer=first.answer, assessor=carol)
    services.draft_submit(
        candidate=alice, criterion=criterion, text=new, base_version=answer.version,
        declaration=True,
    )  # fmt: skip
    pages = [
        (alice, reverse("units:revisions", kwargs={"pk": answer.pk}) + "?a=1&b=2"),
        (carol, reverse("units:review", kwargs={"pk": answer.pk})),
    ]
    for user, page in pages:
        client.force_login(user)
        with time_limit(10):
            response = client.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        assert "The changes are too many to mark; here are both texts." in html
        assert old in html and new in html
