"""The batch measures one at a time, for tests that compare them with the scalar definitions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from filters.batch_measures import char_repetition_from_codes, measure_paragraphs
from filters.char_tables import lengths_of, utf32_codes
from filters.text_scoring import WordListSet

NO_LISTS = WordListSet("", None, None, None, None)


def char_repetition_ratios(texts: Sequence[str], n: int) -> np.ndarray:
    """`text_measures.char_repetition_ratio(t, n)` for every t."""
    lengths = lengths_of(texts)
    codes = utf32_codes("".join(texts))
    return char_repetition_from_codes(codes, np.cumsum(lengths) - lengths, lengths, 0, n)


def char_class_counts(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per text: (special characters, punctuation marks, OBELICS punctuation-ratio tokens)."""
    m = measure_paragraphs(texts, NO_LISTS, 1, 1)
    return m.special, m.punct, m.tokens


def words_and_ids(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(word ids, word offsets) of `texts`, for tests against `text_measures.words_of`."""
    m = measure_paragraphs(texts, NO_LISTS, 1, 1)
    return m.word_ids, m.word_offsets
