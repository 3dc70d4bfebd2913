"""OBELICS's text filters written plainly: the oracle for tests and the benchmark's baseline (test-only).

Each check re-reads its text the way OBELICS's filtering code does: it tokenises again,
counts n-grams with a Counter and sorts every count. Slow on purpose and easy to check
against the definitions; the production path (`filters.text_stage`) must decide the same.
`obelics_lists()` are OBELICS's own lists (its stop and flagged words, published with its
code; no spam check at the filtering step) with the text measured as it is (no apostrophe
straightening). OBELICS's common-word list was never published: loom's (wordfreq) stands in.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import regex

from filters.config import TextFilters
from filters.lang import identify
from filters.text_scoring import WordListSet
from filters.wordlists import common_words_for, obelics_list

_SPECIAL = regex.compile(r"[^\p{L}\p{M}]")
_EDGES = regex.compile(r"^[^\p{L}\p{M}]+|[^\p{L}\p{M}]+$")
_PUNCT_TOKEN = re.compile(r"[\w']+|[,;:?!.]")  # Python's re, as OBELICS used
PUNCTUATION = ",;:?!."


def obelics_lists(common_top_n: int = 100_000) -> WordListSet:
    """OBELICS's English lists as its filtering step used them."""
    return WordListSet("en", obelics_list("stopwords"), obelics_list("flagged_words"),
                       common_words_for("en", common_top_n), None, straight_apostrophes=False)


def words(text: str, straighten: bool = False) -> list[str]:
    """OBELICS's words: lower-cased, split on whitespace, special characters stripped at both ends."""
    out = []
    lowered = text.lower()
    for token in (lowered.replace("\u2019", "'") if straighten else lowered).split():
        token = _EDGES.sub("", token)
        if token:
            out.append(token)
    return out


def char_repetition(text: str, n: int) -> float:
    freq = sorted(Counter(text[i:i + n] for i in range(len(text) - n + 1)).values(), reverse=True)
    if not freq:
        return 0.0
    k = min(int(math.sqrt(len(freq))), len(freq) - len([f for f in freq if f == 1]))
    return sum(freq[:k]) / sum(freq)


def word_repetition(text: str, n: int, straighten: bool = False) -> float:
    ws = words(text, straighten)
    grams = Counter(" ".join(ws[i:i + n]) for i in range(len(ws) - n + 1))
    if not grams:
        return 0.0
    return sum(f for f in grams.values() if f > 1) / sum(grams.values())


def share_in(text: str, vocabulary: frozenset[str], straighten: bool = False) -> float:
    ws = words(text, straighten)
    return len([w for w in ws if w in vocabulary]) / len(ws) if ws else 0.0


def punctuation(text: str, min_words: int) -> float:
    tokens = _PUNCT_TOKEN.findall(text)
    if not tokens:
        return 0.0
    if min_words > 0 and len(tokens) < min_words:
        return 1.0
    return len([t for t in tokens if t in PUNCTUATION]) / len(tokens)


def spam(text: str, phrases: dict[str, tuple[tuple[str, ...], ...]], straighten: bool = False) -> float:
    ws = words(text, straighten)
    covered, i = 0, 0
    while i < len(ws):
        match = next((p for p in phrases.get(ws[i], ()) if tuple(ws[i:i + len(p)]) == p), None)
        covered += len(match) if match else 0
        i += len(match) if match else 1
    return covered / len(ws) if ws else 0.0


def first_failure(text: str, f: TextFilters, lists: WordListSet, languages: list[str]) -> str | None:
    """The first filter `text` fails, in OBELICS's order; None when it passes them all."""
    st = lists.straight_apostrophes
    n_words = len(words(text, st))
    if f.words.enabled and not f.words.min <= n_words:
        return "words_below_min"
    if f.words.enabled and not n_words <= f.words.max:
        return "words_above_max"
    if f.char_repetition.enabled and char_repetition(text, f.char_repetition.n) > f.char_repetition.max:
        return "char_repetition"
    if f.word_repetition.enabled and word_repetition(text, f.word_repetition.n, st) > f.word_repetition.max:
        return "word_repetition"
    if f.special_chars.enabled and text and len(_SPECIAL.findall(text)) / len(text) > f.special_chars.max:
        return "special_chars"
    if f.stopwords.enabled and lists.stopwords and share_in(text, lists.stopwords, st) < f.stopwords.min:
        return "stopwords"
    if f.flagged_words.enabled and lists.flagged and share_in(text, lists.flagged, st) > f.flagged_words.max:
        return "flagged_words"
    if f.punctuation.enabled and punctuation(text, f.punctuation.min_words) < f.punctuation.min:
        return "punctuation"
    if f.common_words.enabled and lists.common and share_in(text, lists.common, st) < f.common_words.min:
        return "common_words"
    if f.spam.enabled and lists.spam and spam(text, lists.spam, st) >= f.spam.less_than:
        return "spam"
    if f.lang.enabled:
        lang, score = identify(text)
        if lang not in languages or score < f.lang.min_score:
            return "lang"
    return None
