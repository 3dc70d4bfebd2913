"""The per-paragraph measures of a whole document at once, with numpy.

A document has tens of paragraphs; measuring each with its own Python loop costs more than
the measuring itself. Here the paragraphs are concatenated once, every character is
classified through a lookup table, and the per-paragraph sums and n-gram counts come from
cumulative sums and one sort, with windows that cross a paragraph boundary left out. The
results equal the scalar functions of `text_measures` (the tests compare them).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import cache

import numpy as np

from filters.text_measures import PUNCTUATION

# Characters past this code point are rare (planes 4-16 hold no letters); they count as special.
_TABLE_SIZE = 0x40000
_HASH_BITS = np.uint64(48)
_SEG_BITS = np.uint64(16)
MAX_SEGMENTS = 1 << 16  # paragraphs a call can take (callers fall back past it)
_BASE = np.uint64(1_000_003)
_FMIX = np.uint64(0xFF51AFD7ED558CCD)


@cache
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(is special, is punctuation mark, is a `[\\w']` character) per code point."""
    special = np.ones(_TABLE_SIZE + 1, dtype=np.int32)
    wordish = np.zeros(_TABLE_SIZE + 1, dtype=bool)
    for cp in range(_TABLE_SIZE):
        ch = chr(cp)
        if unicodedata.category(ch)[0] in "LM":
            special[cp] = 0
        if ch.isalnum() or ch in "_'":
            wordish[cp] = True
    punct = np.zeros(_TABLE_SIZE + 1, dtype=np.int32)
    for mark in PUNCTUATION:
        punct[ord(mark)] = 1
    return special, punct, wordish


def _codes(texts: Sequence[str]) -> np.ndarray:
    return np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _segment_sums(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    cumulative = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(values, out=cumulative[1:])
    return cumulative[ends] - cumulative[starts]


def _window_hashes(symbols: np.ndarray, n: int) -> np.ndarray:
    m = len(symbols) - n + 1
    if m <= 0:
        return np.zeros(0, dtype=np.uint64)
    h = symbols[:m].copy()
    with np.errstate(over="ignore"):
        for i in range(1, n):  # in place: no new array per step
            np.multiply(h, _BASE, out=h)
            np.add(h, symbols[i:i + m], out=h)
        # MurmurHash3's finaliser: every input bit reaches the top bits that the keys keep.
        h ^= h >> np.uint64(33)
        h *= _FMIX
        h ^= h >> np.uint64(33)
    return h


def _grouped_ngram_counts(symbols: np.ndarray, lengths: np.ndarray, n: int
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct n-grams of each segment: (segment of each, its count, windows in each segment).

    A window's key is its segment in the top 16 bits and 48 bits of its hash below, so one
    sort groups equal n-grams and orders them by segment.
    """
    ends = np.cumsum(lengths)
    windows = np.maximum(lengths - n + 1, 0)
    hashes = _window_hashes(symbols.astype(np.uint64), n)
    if len(hashes) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), windows
    seg = np.repeat(np.arange(len(lengths), dtype=np.uint64), lengths)[: len(hashes)]
    valid = np.arange(len(hashes)) + n <= ends[seg.astype(np.int64)]
    keys = np.sort((hashes[valid] >> _SEG_BITS) | (seg[valid] << _HASH_BITS))
    if len(keys) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), windows
    run_starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    counts = np.diff(np.append(run_starts, len(keys)))
    return (keys[run_starts] >> _HASH_BITS).astype(np.int64), counts, windows


def char_repetition_ratios(texts: Sequence[str], n: int) -> np.ndarray:
    """`text_measures.char_repetition_ratio(t, n)` for every t."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    seg, counts, windows = _grouped_ngram_counts(_codes(texts), lengths, n)
    return _top_shares(seg, counts, windows)


def _top_shares(seg: np.ndarray, counts: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """Per segment: the share of its windows taken by its k most frequent n-grams (OBELICS's k)."""
    n_seg = len(windows)
    out = np.zeros(n_seg, dtype=np.float64)
    if len(counts) == 0:
        return out
    distinct = np.bincount(seg, minlength=n_seg)
    is_repeated = counts > 1
    repeated = np.bincount(seg, weights=is_repeated, minlength=n_seg).astype(np.int64)
    k = np.minimum(np.floor(np.sqrt(distinct)).astype(np.int64), repeated)
    # k never exceeds the repeated n-grams, so the top k are among them: sort only those,
    # by segment (already ascending) and then by decreasing count.
    seg, counts = seg[is_repeated], counts[is_repeated]
    if len(counts) == 0:
        return out
    order = np.argsort(seg * (int(counts.max()) + 1) - counts, kind="stable")
    seg_sorted, counts_sorted = seg[order], counts[order]
    group_start = np.searchsorted(seg_sorted, np.arange(n_seg))
    rank = np.arange(len(seg_sorted)) - group_start[seg_sorted]
    top = rank < k[seg_sorted]
    sums = np.bincount(seg_sorted[top], weights=counts_sorted[top], minlength=n_seg)
    np.divide(sums, windows, out=out, where=windows > 0)
    return out


def char_class_counts(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per text: (special characters, punctuation marks, OBELICS punctuation-ratio tokens)."""
    special_t, punct_t, wordish_t = _tables()
    codes = np.minimum(_codes(texts), _TABLE_SIZE)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    special = _segment_sums(special_t[codes], starts, ends)
    punct = _segment_sums(punct_t[codes], starts, ends)
    wordish = wordish_t[codes]
    previous = np.zeros_like(wordish)
    previous[1:] = wordish[:-1]
    previous[starts[starts < len(previous)]] = False  # a run never continues into the next text
    runs = _segment_sums((wordish & ~previous).astype(np.int32), starts, ends)
    return special, punct, punct + runs
