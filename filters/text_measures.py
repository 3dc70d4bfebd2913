"""The quantities OBELICS filters text on, computed the way its filtering code defines them.

- A *special character* is anything that is not a letter or a combining mark (Unicode
  categories L*, M*): punctuation, digits, whitespace, symbols and emoji. OBELICS lists such
  characters by hand; the category rule covers every script.
- *Words*: the text is lower-cased, split on whitespace, and each piece stripped of special
  characters at both ends; empty pieces are dropped ("3D," -> "d", "--" -> nothing).
  Typographic apostrophes are made straight first, so "don’t" is the stop word "don't"
  (unless `straighten` is false: OBELICS measures the text as it is).
- *Character n-gram repetition*: over the counts of the text's character n-grams sorted in
  decreasing order, the share of all n-grams taken by the k most frequent, with
  k = min(floor(sqrt(#distinct)), #distinct n-grams seen more than once).
- *Word n-gram repetition*: the share of word n-grams that occur more than once.
- *Punctuation ratio*: tokens are runs of word characters/apostrophes or one of ``,;:?!.``;
  the share of those tokens that are punctuation. Under `min_words` tokens the ratio is 1.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import regex

PUNCTUATION = frozenset(",;:?!.")
_WORD_RUN = re.compile(r"[\w']+")
_SPECIAL = regex.compile(r"[^\p{L}\p{M}]")
_EDGE_SPECIAL = regex.compile(r"^[^\p{L}\p{M}]+|[^\p{L}\p{M}]+$")
_ASCII_SPECIAL = "".join(chr(c) for c in range(128) if not chr(c).isalpha())

# Texts shorter than this use the plain Counter; longer ones the vectorised hash count.
_NUMPY_MIN_CHARS = 400
_HASH_BASE = np.uint64(1_000_003)


def _strip_special(token: str) -> str:
    stripped = token.strip(_ASCII_SPECIAL)  # the usual case: ASCII punctuation and digits
    if stripped and stripped[0].isalpha() and stripped[-1].isalpha():
        return stripped
    return _EDGE_SPECIAL.sub("", stripped)


def words_of(text: str, straighten: bool = True) -> list[str]:
    lowered = text.lower()
    tokens = (lowered.replace("\u2019", "'") if straighten else lowered).split()
    words = [t if t.isalpha() else _strip_special(t) for t in tokens]
    return [w for w in words if w] if len(words) != sum(map(bool, words)) else words


def special_char_count(text: str) -> int:
    return len(_SPECIAL.findall(text))


def special_char_ratio(text: str) -> float:
    return special_char_count(text) / len(text) if text else 0.0


def _top_share(counts: Sequence[int] | np.ndarray, total: int) -> float:
    """OBELICS's share of the most repeated n-grams, given the counts of the distinct n-grams."""
    n_distinct = len(counts)
    if n_distinct == 0:
        return 0.0
    counts = np.asarray(counts)
    n_repeated = int(np.count_nonzero(counts > 1))
    k = min(math.isqrt(n_distinct), n_repeated)
    if k == 0:
        return 0.0
    top = np.partition(counts, n_distinct - k)[n_distinct - k:]
    return float(top.sum()) / total


def _char_ngram_counts_numpy(text: str, n: int) -> np.ndarray:
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    m = len(codes) - n + 1
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(n):  # polynomial hash of each window, modulo 2**64
            h = h * _HASH_BASE + codes[i:i + m]
    _, counts = np.unique(h, return_counts=True)
    return counts


def char_repetition_ratio(text: str, n: int) -> float:
    m = len(text) - n + 1
    if m <= 0:
        return 0.0
    if len(text) >= _NUMPY_MIN_CHARS:
        return _top_share(_char_ngram_counts_numpy(text, n), m)
    grams = [text[i:i + n] for i in range(m)]
    if len(set(grams)) == m:
        return 0.0  # nothing repeats (the common case for a short paragraph)
    return _top_share(list(Counter(grams).values()), m)


def word_repetition_ratio(words: Sequence[str], n: int) -> float:
    m = len(words) - n + 1
    if m <= 0 or len(set(words)) == len(words):
        return 0.0  # no word twice, no n-gram twice
    grams = list(zip(*(words[i:i + m] for i in range(n)))) if n > 1 else list(words)
    if len(set(grams)) == m:
        return 0.0  # nothing repeats
    repeated = sum(c for c in Counter(grams).values() if c > 1)
    return repeated / m


def punctuation_counts(text: str) -> tuple[int, int]:
    """(punctuation tokens, all tokens) under OBELICS's tokenisation."""
    n_punct = sum(map(text.count, PUNCTUATION))  # each mark is a token of its own
    return n_punct, n_punct + len(_WORD_RUN.findall(text))


def punctuation_ratio(n_punct: int, n_tokens: int, min_words: int = -1) -> float:
    if n_tokens == 0:
        return 0.0
    if min_words > 0 and n_tokens < min_words:
        return 1.0  # too short to judge by punctuation
    return n_punct / n_tokens


def count_in(words: Sequence[str], vocabulary: frozenset[str]) -> int:
    return sum(map(vocabulary.__contains__, words))


def spam_word_count(words: Sequence[str], phrases: dict[str, tuple[tuple[str, ...], ...]]) -> int:
    """How many words sit inside a spam phrase (each word counted once)."""
    if phrases.keys().isdisjoint(words):
        return 0  # no phrase starts anywhere (the usual case)
    covered = 0
    i, n = 0, len(words)
    while i < n:
        step = 1
        for phrase in phrases.get(words[i], ()):
            size = len(phrase)
            if tuple(words[i:i + size]) == phrase:
                covered += size
                step = size
                break
        i += step
    return covered
