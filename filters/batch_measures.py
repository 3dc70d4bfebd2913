"""Every per-paragraph measure of many paragraphs (a batch of documents) in one numpy pass.

A document has tens of paragraphs and about a thousand words; measuring each paragraph
with its own Python loops costs more than the measuring itself. Here the paragraphs are
joined once (by a blank line, which no word or n-gram may cross), every character is
classified through one lookup table (`char_tables`), every word becomes a 64-bit id
(`hashing`), and the per-paragraph sums, word-list counts and n-gram counts come from
cumulative sums, one hash-table look-up and one sort each. The results equal the scalar
definitions of `text_measures` (the tests compare them on crafted and real text).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from filters.char_tables import (
    PUNCTUATION_MARK,
    SPACE,
    SPECIAL,
    WORDISH,
    class_table,
    lengths_of,
    lower_growth_table,
    utf32_codes,
)
from filters.hashing import span_hashes, window_hashes

if TYPE_CHECKING:
    from filters.text_scoring import WordListSet

SEPARATOR = "\n\n"
# A word's flags in `WordListSet.table`: in which lists it is.
STOP, FLAGGED, COMMON, SPAM_START = 1, 2, 4, 8
_MAX_SEGMENTS = (1 << 16) - 1  # a window key holds its segment in 16 bits (0xFFFF: crossing windows)
_HASH_BITS = np.uint64(48)
_SEG_BITS = np.uint64(16)
_SENTINEL = np.uint64(0xFFFF << 48)


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


def _window_keys(symbols: np.ndarray, starts: np.ndarray, lengths: np.ndarray, gap: int, n: int) -> np.ndarray:
    """A sort key for every n-gram window of `symbols`: its segment in the top 16 bits, 48 bits
    of its hash below. Segment i is ``symbols[starts[i]:starts[i] + lengths[i]]`` followed by
    `gap` positions of its own; a window not inside one segment gets a sentinel key of its own
    (segment 0xFFFF, never repeated), so no filtering pass is needed.
    """
    hashes = window_hashes(symbols, n)
    m = len(hashes)
    keys = hashes
    keys >>= _SEG_BITS
    keys |= np.repeat(np.arange(len(lengths), dtype=np.uint64) << _HASH_BITS, lengths + gap)[:m]
    # The windows that cross a segment's end start in its last n-1 positions or in its gap.
    # (Those that start earlier than the segment itself cross the previous segment's end.)
    crossing = ((starts + lengths)[:, None] + np.arange(-(n - 1), gap)).ravel()
    crossing = crossing[(crossing >= 0) & (crossing < m)]
    keys[crossing] = _SENTINEL | crossing.astype(np.uint64)
    return keys


def _repeated_groups(symbols: np.ndarray, starts: np.ndarray, lengths: np.ndarray, gap: int, n: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The n-grams seen more than once in their segment: (segment of each, its count).

    One sort of the window keys; only runs of equal keys are looked at after it.
    """
    keys = np.sort(_window_keys(symbols, starts, lengths, gap, n))
    same = np.flatnonzero(keys[1:] == keys[:-1])  # j: keys[j + 1] repeats keys[j]
    if len(same) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    run_first = np.flatnonzero(np.concatenate(([True], np.diff(same) != 1)))
    counts = np.diff(np.append(run_first, len(same))) + 1
    return (keys[same[run_first]] >> _HASH_BITS).astype(np.int64), counts


def _in_chunks(measure: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray], symbols: np.ndarray,
               starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """`measure` over at most `_MAX_SEGMENTS` segments at a time (keys hold 16 bits of segment)."""
    if len(lengths) <= _MAX_SEGMENTS:
        return measure(symbols, starts, lengths)
    parts = []
    for a in range(0, len(lengths), _MAX_SEGMENTS):
        b = min(a + _MAX_SEGMENTS, len(lengths))
        lo, hi = starts[a], starts[b - 1] + lengths[b - 1]
        parts.append(measure(symbols[lo:hi], starts[a:b] - lo, lengths[a:b]))
    return np.concatenate(parts)


def char_repetition_from_codes(codes: np.ndarray, starts: np.ndarray, lengths: np.ndarray, gap: int,
                               n: int) -> np.ndarray:
    """Per segment: OBELICS's character n-gram repetition (`text_measures.char_repetition_ratio`)."""

    def measure(symbols: np.ndarray, seg_starts: np.ndarray, seg_lengths: np.ndarray) -> np.ndarray:
        n_seg = len(seg_lengths)
        windows = np.maximum(seg_lengths - n + 1, 0)
        out = np.zeros(n_seg, dtype=np.float64)
        seg, counts = _repeated_groups(symbols, seg_starts, seg_lengths, gap, n)
        if len(counts) == 0:
            return out
        repeated = np.bincount(seg, minlength=n_seg)
        distinct = windows - np.bincount(seg, weights=counts - 1, minlength=n_seg).astype(np.int64)
        k = np.minimum(np.floor(np.sqrt(distinct)).astype(np.int64), repeated)
        # k never exceeds the repeated n-grams, so the top k are among them: order those by
        # segment (already ascending) and then by decreasing count.
        order = np.argsort(seg * (int(counts.max()) + 1) - counts, kind="stable")
        seg_sorted, counts_sorted = seg[order], counts[order]
        group_start = np.searchsorted(seg_sorted, np.arange(n_seg))
        rank = np.arange(len(seg_sorted)) - group_start[seg_sorted]
        top = rank < k[seg_sorted]
        sums = np.bincount(seg_sorted[top], weights=counts_sorted[top], minlength=n_seg)
        np.divide(sums, windows, out=out, where=windows > 0)
        return out

    return _in_chunks(measure, codes, starts, lengths)


def word_repetition_from_ids(ids: np.ndarray, offsets: np.ndarray, n: int) -> np.ndarray:
    """Per segment of `ids`: the share of its word n-grams that occur more than once in it."""

    def measure(symbols: np.ndarray, seg_starts: np.ndarray, seg_lengths: np.ndarray) -> np.ndarray:
        windows = np.maximum(seg_lengths - n + 1, 0)
        out = np.zeros(len(seg_lengths), dtype=np.float64)
        if not windows.any():
            return out
        seg, counts = _repeated_groups(symbols, seg_starts, seg_lengths, 0, n)
        repeated = np.bincount(seg, weights=counts, minlength=len(seg_lengths))
        np.divide(repeated, windows, out=out, where=windows > 0)
        return out

    return _in_chunks(measure, ids, offsets[:-1], np.diff(offsets))


def _per_paragraph(flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return _segment_sums(flags, offsets[:-1], offsets[1:])


def _words(lowered: np.ndarray, para_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(id of every word, word offsets of each paragraph) of lower-cased text.

    A word is a whitespace-separated piece from its first to its last letter or mark
    (`text_measures.words_of`): the letters and marks of one piece form one word.
    """
    classes = class_table()[lowered]
    letters = np.flatnonzero((classes & SPECIAL) == 0)
    if len(letters) == 0:
        return np.zeros(0, np.uint64), np.zeros(len(para_starts) + 1, np.int64)
    piece = np.cumsum(classes & SPACE, dtype=np.int32)[letters]  # changes at each whitespace
    first = np.flatnonzero(np.concatenate(([True], piece[1:] != piece[:-1])))
    starts = letters[first]
    ends = letters[np.append(first[1:] - 1, len(letters) - 1)] + 1
    ids = span_hashes(lowered, starts, ends)
    offsets = np.searchsorted(starts, np.append(para_starts, len(lowered)))
    return ids, offsets


def measure_paragraphs(texts: Sequence[str], lists: WordListSet, char_n: int, word_n: int) -> ParagraphMeasures:
    """Measure every paragraph in `texts` with the word lists of `lists`."""
    gap = len(SEPARATOR)
    lengths = lengths_of(texts)
    starts = np.cumsum(lengths + gap) - lengths - gap
    joined = SEPARATOR.join(texts)
    codes = utf32_codes(joined)
    ends = starts + lengths

    classes = class_table()[codes]
    special = _segment_sums(classes & SPECIAL, starts, ends)
    punct = _segment_sums(classes & PUNCTUATION_MARK, starts, ends) // PUNCTUATION_MARK
    wordish = (classes & WORDISH) > 0
    run_starts = wordish.copy()
    run_starts[1:] &= ~wordish[:-1]  # a separator is never wordish: no run crosses paragraphs
    tokens = punct + _segment_sums(run_starts, starts, ends)
    char_rep = char_repetition_from_codes(codes, starts, lengths, gap, char_n)

    lowered = joined.lower()
    if lists.straight_apostrophes:
        lowered = lowered.replace("\u2019", "'")
    if len(lowered) != len(joined):  # a few letters lower-case to two characters ("İ")
        low_lengths = lengths + _segment_sums(lower_growth_table()[codes], starts, ends)
        low_starts = np.cumsum(low_lengths + gap) - low_lengths - gap
    else:
        low_starts = starts
    ids, offsets = _words(utf32_codes(lowered), low_starts)
    words = np.diff(offsets)

    flags = lists.table.lookup(ids) if lists.table is not None else np.zeros(len(ids), np.uint8)

    def count(words: object, flag: int) -> np.ndarray | None:
        return None if words is None else _per_paragraph((flags & flag) > 0, offsets)

    spam = None
    if lists.spam is not None and lists.spam_ids is not None:
        spam = _spam_counts(ids, offsets, np.flatnonzero(flags & SPAM_START), lists.spam_ids)
    return ParagraphMeasures(
        chars=lengths, words=words, special=special, punct=punct, tokens=tokens, char_repetition=char_rep,
        word_repetition=word_repetition_from_ids(ids, offsets, word_n),
        stop=count(lists.stopwords, STOP), flagged=count(lists.flagged, FLAGGED),
        common=count(lists.common, COMMON), spam=spam, word_ids=ids, word_offsets=offsets)


def document_measures(m: ParagraphMeasures, keep: np.ndarray, para_offsets: np.ndarray,
                      doc_texts: Sequence[str], char_n: int, word_n: int,
                      min_words: int = 0, max_words: int | None = None) -> ParagraphMeasures:
    """The measures of documents made of their kept paragraphs (`keep`), from the paragraphs' own.

    Document i holds paragraphs ``para_offsets[i]:para_offsets[i + 1]``; `doc_texts` are
    their kept paragraphs joined by `SEPARATOR`. Counts are sums (a separator adds two
    special characters and nothing else); the repetition scores are measured on the kept
    words and text, where n-grams may cross paragraphs. Character repetition is measured
    only for documents with `min_words` to `max_words` words (a caller that stops at a
    failed word count needs no more); the others get 0.
    """
    first, last = para_offsets[:-1], para_offsets[1:]

    def total(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else _segment_sums(np.where(keep, values, 0), first, last)

    separators = len(SEPARATOR) * np.maximum(_segment_sums(keep, first, last) - 1, 0)
    words = total(m.words)
    offsets = np.concatenate(([0], np.cumsum(words)))
    ids = m.word_ids if keep.all() else m.word_ids[np.repeat(keep, m.words)]
    lengths = lengths_of(doc_texts)
    highest = max_words if max_words is not None else np.iinfo(np.int64).max
    measured = np.flatnonzero((words >= min_words) & (words <= highest))
    char_rep = np.zeros(len(doc_texts), dtype=np.float64)
    if len(measured):
        texts = [doc_texts[i] for i in measured.tolist()]
        gap, sub_lengths = len(SEPARATOR), lengths[measured]
        codes = utf32_codes(SEPARATOR.join(texts))
        char_rep[measured] = char_repetition_from_codes(
            codes, np.cumsum(sub_lengths + gap) - sub_lengths - gap, sub_lengths, gap, char_n)
    return ParagraphMeasures(
        chars=lengths, words=words, special=total(m.special) + separators, punct=total(m.punct),
        tokens=total(m.tokens), char_repetition=char_rep,
        word_repetition=word_repetition_from_ids(ids, offsets, word_n),
        stop=total(m.stop), flagged=total(m.flagged), common=total(m.common), spam=total(m.spam),
        word_ids=ids, word_offsets=offsets)


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
