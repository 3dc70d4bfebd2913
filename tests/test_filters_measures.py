"""The text quantities, checked by hand and against a plain reading of OBELICS's definitions."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from filters import text_measures as tm
from filters.url_words import BannedWordMatcher, url_tokens


def reference_char_repetition(text: str, n: int) -> float:
    """OBELICS's definition, written out as plainly as possible (sorting every count)."""
    freq = sorted(Counter(text[i:i + n] for i in range(len(text) - n + 1)).values(), reverse=True)
    if not freq:
        return 0.0
    k = min(int(math.sqrt(len(freq))), len(freq) - freq.count(1))
    return sum(freq[:k]) / sum(freq)


def test_words_are_lowercased_and_stripped_of_special_characters() -> None:
    text = "Hello, World! 3D -- don\u2019t e-mail 1990s \u00a1Ol\u00e9! \U0001F600"
    assert tm.words_of(text) == ["hello", "world", "d", "don't", "e-mail", "s", "ol\u00e9"]


def test_special_characters_are_everything_but_letters_and_marks() -> None:
    assert tm.special_char_ratio("ab, c") == pytest.approx(2 / 5)
    assert tm.special_char_ratio("\u0928\u092e\u0938\u094d\u0924\u0947") == 0.0  # Hindi vowel signs are marks
    assert tm.special_char_ratio("12 \U0001F600") == 1.0
    assert tm.special_char_ratio("") == 0.0


def test_char_repetition_by_hand() -> None:
    assert tm.char_repetition_ratio("abcdefghijkl", 10) == 0.0
    assert tm.char_repetition_ratio("a" * 12, 10) == 1.0
    # 11 windows: "ababababab" x6 and "bababababa" x5; k = min(isqrt(2), 2) = 1.
    assert tm.char_repetition_ratio("ab" * 10, 10) == pytest.approx(6 / 11)
    assert tm.char_repetition_ratio("short", 10) == 0.0


@pytest.mark.parametrize("length", [30, 399, 400, 2000, 20000])
def test_char_repetition_matches_the_definition_on_both_code_paths(length: int) -> None:
    rng = random.Random(length)
    vocab = ["the", "cat", "sat", "on", "a", "mat", "with", "some", "dogs", "and", "birds", "😀", "über"]
    for _ in range(10):
        text = " ".join(rng.choice(vocab) for _ in range(length))[:length]
        assert tm.char_repetition_ratio(text, 10) == pytest.approx(reference_char_repetition(text, 10))


def test_word_repetition_share_of_repeated_ngrams() -> None:
    unique = [f"w{i}" for i in range(14)]
    words = ["a", "b", "c", "d", "e", *unique, "a", "b", "c", "d", "e"]
    # 20 five-grams, "a b c d e" twice: 2 / 20.
    assert tm.word_repetition_ratio(words, 5) == pytest.approx(0.1)
    assert tm.word_repetition_ratio(["x"] * 4, 5) == 0.0
    assert tm.word_repetition_ratio(["x"] * 6, 5) == 1.0


def test_punctuation_tokens_as_obelics_splits_them() -> None:
    assert tm.punctuation_counts("Hello, world! It's 3.5 o'clock; ok?") == (5, 12)
    assert tm.punctuation_ratio(5, 12) == pytest.approx(5 / 12)
    assert tm.punctuation_ratio(0, 11, min_words=12) == 1.0  # too short to judge
    assert tm.punctuation_ratio(0, 12, min_words=12) == 0.0
    assert tm.punctuation_ratio(0, 0) == 0.0


def test_spam_words_count_whole_phrases_once() -> None:
    phrases = {"sign": (("sign", "up"),), "newsletter": (("newsletter",),)}
    assert tm.spam_word_count(["please", "sign", "up", "for", "the", "newsletter"], phrases) == 3
    assert tm.spam_word_count(["a", "sign", "of", "the", "times"], phrases) == 0


def test_banned_url_words_are_whole_tokens() -> None:
    matcher = BannedWordMatcher(["logo", "icon", "button", "sex"])
    assert matcher.first_match("https://a.org/img/siteLogo_2x.png") == "logo"
    assert matcher.first_match("https://a.org/ICONS/home.png") == "icons"
    assert matcher.first_match("https://a.org/btn-button.gif") == "button"
    assert matcher.first_match("https://a.org/lexicon.jpg") is None
    assert matcher.first_match("https://www.essex.ac.uk/photo.jpg") is None
    assert matcher.first_match("https://a.org/buttonhole.jpg") is None
    assert url_tokens("https://a.org/HTMLParser2.png") == ["a", "org", "html", "parser", "2", "png"]


def test_batch_measures_equal_the_scalar_ones() -> None:
    from tests.support import batch_measures as bm

    rng = random.Random(7)
    vocab = ["the", "cat,", "sat", "on", "3.5", "mat!", "don't", "\u00fcber", "\U0001F600", "--", "x_y"]
    texts = ["", "a", "abcdefghij", "ab" * 10, *(" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 300)))
                                                 for _ in range(40))]
    chars = bm.char_repetition_ratios(texts, 10)
    special, punct, tokens = bm.char_class_counts(texts)
    for i, text in enumerate(texts):
        assert chars[i] == pytest.approx(tm.char_repetition_ratio(text, 10)), text
        assert special[i] == tm.special_char_count(text)
        assert (punct[i], tokens[i]) == tm.punctuation_counts(text)
