"""Every per-paragraph measure of a document in one numpy pass.

A document has tens of paragraphs and about a thousand words; measuring each paragraph
with its own Python loops costs more than the measuring itself. Here the paragraphs are
joined once (by a blank line, which no word or n-gram may cross), every character is
classified through lookup tables (`char_tables`), every word becomes a 64-bit id
(`hashing`), and the per-paragraph sums, word-list counts and n-gram counts come from
cumulative sums, sorted searches and one sort each. The results equal the scalar
definitions of `text_measures` (the tests compare them on crafted and real text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from filters import text_measures as tm
from filters.char_tables import lengths_of, punctuation_table, space_table, special_table, utf32_codes, wordish_table
from filters.hashing import span_hashes, window_hashes

SEPARATOR = "\n\n"
# A word's flags in `WordListSet.table`: in which lists it is.
STOP, FLAGGED, COMMON, SPAM_START = 1, 2, 4, 8
_PACKED_SEGMENTS = 1 << 16  # up to this many paragraphs, a window's key packs its paragraph in 16 bits
_HASH_BITS = np.uint64(48)
_SEG_BITS = np.uint64(16)


@dataclass(slots=True)
class ParagraphMeasures:
    """Counts and scores of each paragraph (arrays in paragraph order)."""

    chars: np.ndarray
    words: np.ndarray
    special: np.ndarray
    punct: np.ndarray
    tokens: np.ndarray  # OBELICS punctuation-ratio tokens
    char_repetition: np.ndarray
    word_repetition: np.ndarray
    stop: np.ndarray | None  # None: no such word list for the language
    flagged: np.ndarray | None
    common: np.ndarray | None
    spam: np.ndarray | None
    word_ids: np.ndarray  # every word's id, paragraph after paragraph
    word_offsets: np.ndarray  # paragraph i's words are word_ids[word_offsets[i]:word_offsets[i + 1]]


def _segment_sums(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    cumulative = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(values, out=cumulative[1:])
    return cumulative[ends] - cumulative[starts]


def _grouped_counts(hashes: np.ndarray, seg: np.ndarray, n_seg: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (segment, hash) pairs: the segment of each and how often it occurs, by segment."""
    if len(hashes) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if n_seg <= _PACKED_SEGMENTS:  # one sort of packed keys
        keys = np.sort((hashes >> _SEG_BITS) | (seg.astype(np.uint64) << _HASH_BITS))
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        seg_of = (keys[starts] >> _HASH_BITS).astype(np.int64)
    else:
        order = np.lexsort((hashes, seg))
        h, s = hashes[order], seg[order]
        starts = np.flatnonzero(np.concatenate(([True], (h[1:] != h[:-1]) | (s[1:] != s[:-1]))))
        seg_of = s[starts].astype(np.int64)
    counts = np.diff(np.append(starts, len(hashes)))
    return seg_of, counts


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


def _ngram_windows(symbols: np.ndarray, seg_ends: np.ndarray, seg_span: np.ndarray, n: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the n-gram windows that lie inside one segment, and that segment.

    `seg_span[i]` is how many positions segment i owns (its own and the gap after it).
    """
    hashes = window_hashes(symbols, n)
    seg = np.repeat(np.arange(len(seg_span)), seg_span)[: len(hashes)]
    valid = np.arange(len(hashes)) + n <= seg_ends[seg]
    return hashes[valid], seg[valid]


def char_repetition_from_codes(codes: np.ndarray, starts: np.ndarray, lengths: np.ndarray, gap: int,
                               n: int) -> np.ndarray:
    hashes, seg = _ngram_windows(codes, starts + lengths, lengths + gap, n)
    seg_of, counts = _grouped_counts(hashes, seg, len(lengths))
    return _top_shares(seg_of, counts, np.maximum(lengths - n + 1, 0))


def word_repetition_from_ids(ids: np.ndarray, offsets: np.ndarray, n: int) -> np.ndarray:
    """Per segment of `ids`: the share of its word n-grams that occur more than once in it."""
    words = np.diff(offsets)
    windows = np.maximum(words - n + 1, 0)
    out = np.zeros(len(words), dtype=np.float64)
    if not windows.any():
        return out
    hashes, seg = _ngram_windows(ids, offsets[1:], words, n)
    seg_of, counts = _grouped_counts(hashes, seg, len(words))
    repeated = np.bincount(seg_of, weights=np.where(counts > 1, counts, 0), minlength=len(words))
    np.divide(repeated, windows, out=out, where=windows > 0)
    return out


def word_repetition_of_ids(ids: np.ndarray, n: int) -> float:
    """`text_measures.word_repetition_ratio` of one word sequence given by its ids."""
    return float(word_repetition_from_ids(ids, np.array([0, len(ids)]), n)[0])


def _per_paragraph(flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return _segment_sums(flags, offsets[:-1], offsets[1:])


def _words(lowered: np.ndarray, para_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(id of every word, word offsets of each paragraph) of lower-cased text.

    A word is a whitespace-separated piece from its first to its last letter or mark
    (`text_measures.words_of`): the letters and marks of one piece form one word.
    """
    letters = np.flatnonzero(~special_table()[lowered])
    if len(letters) == 0:
        return np.zeros(0, np.uint64), np.zeros(len(para_starts) + 1, np.int64)
    piece = np.cumsum(space_table()[lowered], dtype=np.int64)[letters]
    first = np.flatnonzero(np.concatenate(([True], piece[1:] != piece[:-1])))
    starts = letters[first]
    ends = letters[np.append(first[1:] - 1, len(letters) - 1)] + 1
    ids = span_hashes(lowered.astype(np.uint64), starts, ends)
    offsets = np.searchsorted(starts, np.append(para_starts, len(lowered)))
    return ids, offsets


def measure_paragraphs(texts: Sequence[str], lists: object, char_n: int, word_n: int) -> ParagraphMeasures:
    """Measure every paragraph in `texts` with the word lists of `lists` (a `WordListSet`)."""
    gap = len(SEPARATOR)
    lengths = lengths_of(texts)
    starts = np.cumsum(lengths + gap) - lengths - gap
    joined = SEPARATOR.join(texts)
    codes = utf32_codes(joined)
    ends = starts + lengths

    special = _segment_sums(special_table()[codes], starts, ends)
    punct = _segment_sums(punctuation_table("".join(sorted(tm.PUNCTUATION)))[codes], starts, ends)
    wordish = wordish_table()[codes]
    run_starts = wordish.copy()
    run_starts[1:] &= ~wordish[:-1]  # a separator is never wordish: no run crosses paragraphs
    tokens = punct + _segment_sums(run_starts, starts, ends)
    char_rep = char_repetition_from_codes(codes.astype(np.uint64), starts, lengths, gap, char_n)

    lowered = joined.lower().replace("\u2019", "'")
    if len(lowered) != len(joined):  # a few letters lower-case to two characters ("İ")
        low_lengths = lengths_of([t.lower() for t in texts])
        low_starts = np.cumsum(low_lengths + gap) - low_lengths - gap
    else:
        low_starts = starts
    ids, offsets = _words(utf32_codes(lowered), low_starts)
    words = np.diff(offsets)

    flags = lists.table.lookup(ids) if lists.table is not None else np.zeros(len(ids), np.uint8)  # type: ignore[attr-defined]

    def count(words: object, flag: int) -> np.ndarray | None:
        return None if words is None else _per_paragraph((flags & flag) > 0, offsets)

    spam = None
    if lists.spam is not None:  # type: ignore[attr-defined]
        spam = _spam_counts(ids, offsets, np.flatnonzero(flags & SPAM_START), lists.spam_ids)  # type: ignore[attr-defined]
    return ParagraphMeasures(
        chars=lengths, words=words, special=special, punct=punct, tokens=tokens, char_repetition=char_rep,
        word_repetition=word_repetition_from_ids(ids, offsets, word_n),
        stop=count(lists.stopwords, STOP), flagged=count(lists.flagged, FLAGGED),  # type: ignore[attr-defined]
        common=count(lists.common, COMMON), spam=spam, word_ids=ids, word_offsets=offsets)  # type: ignore[attr-defined]


def _spam_counts(ids: np.ndarray, offsets: np.ndarray, starts: np.ndarray,
                 phrases: dict[int, tuple[tuple[int, ...], ...]]) -> np.ndarray:
    """`text_measures.spam_word_count` of each paragraph, from the places where a phrase may start.

    As there, left to right: at each place the first phrase (in list order) that matches is
    counted and the words it covers are skipped.
    """
    out = np.zeros(len(offsets) - 1, dtype=np.int64)
    if len(starts) == 0:
        return out
    longest = max(len(p) for group in phrases.values() for p in group)
    paragraph_of = np.searchsorted(offsets, starts, side="right") - 1
    limits = offsets[paragraph_of + 1]  # a phrase ends inside its paragraph
    free_from = 0
    for start, para, limit in zip(starts.tolist(), paragraph_of.tolist(), limits.tolist()):
        if start < free_from:
            continue  # inside a phrase counted already
        window = tuple(ids[start:min(start + longest, limit)].tolist())
        for phrase in phrases[window[0]]:
            if window[:len(phrase)] == phrase:
                out[para] += len(phrase)
                free_from = start + len(phrase)
                break
    return out


# The separate measures, as the tests compare them with the scalar definitions.
def char_repetition_ratios(texts: Sequence[str], n: int) -> np.ndarray:
    """`text_measures.char_repetition_ratio(t, n)` for every t."""
    lengths = lengths_of(texts)
    codes = utf32_codes("".join(texts)).astype(np.uint64)
    return char_repetition_from_codes(codes, np.cumsum(lengths) - lengths, lengths, 0, n)


def char_class_counts(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per text: (special characters, punctuation marks, OBELICS punctuation-ratio tokens)."""
    m = measure_paragraphs(texts, _NO_LISTS, 1, 1)
    return m.special, m.punct, m.tokens


def words_and_ids(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(word ids, word offsets) of `texts`, for tests against `text_measures.words_of`."""
    m = measure_paragraphs(texts, _NO_LISTS, 1, 1)
    return m.word_ids, m.word_offsets


class _NoLists:
    spam = stopwords = flagged = common = table = spam_ids = None


_NO_LISTS = _NoLists()
