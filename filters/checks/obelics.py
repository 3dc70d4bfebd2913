"""OBELICS's nine text checks (Laurençon et al. 2023, node and document level), with its thresholds.

Each score comes from the batch measures (`filters.batch_measures`) of the texts; the scalar
definitions are in `filters.text_measures`.
"""

from __future__ import annotations

import numpy as np

from filters.checks.base import Batch, TextCheck, ratio
from filters.checks.bounds import (
    MaxRatioFilter,
    MinRatioFilter,
    NgramRepetitionFilter,
    PunctuationFilter,
    SpamFilter,
    WordCountFilter,
)


def _punctuation_ratio(batch: Batch, settings: PunctuationFilter) -> np.ndarray:
    m = batch.measures
    out = ratio(m.punct, m.tokens)
    assert out is not None
    if settings.min_words > 0:  # under `min_words` tokens a text is too short to judge: 1
        out[(m.tokens > 0) & (m.tokens < settings.min_words)] = 1.0
    return out


WORDS = TextCheck(
    "words", "words", WordCountFilter, lambda b, s: b.measures.words.astype(np.float64),
    paragraph={"min": 4, "max": 1000}, document={"min": 10, "max": 2000})
CHAR_REPETITION = TextCheck(
    "char_repetition", "char_repetition", NgramRepetitionFilter, lambda b, s: b.measures.char_repetition,
    paragraph={"n": 10, "max": 0.1}, document={"n": 10, "max": 0.1})
WORD_REPETITION = TextCheck(
    "word_repetition", "word_repetition", NgramRepetitionFilter, lambda b, s: b.measures.word_repetition,
    paragraph={"n": 5, "max": 0.1}, document={"n": 5, "max": 0.2})
SPECIAL_CHARS = TextCheck(
    "special_chars", "special_char_ratio", MaxRatioFilter, lambda b, s: ratio(b.measures.special, b.measures.chars),
    paragraph={"max": 0.3}, document={"max": 0.275})
STOPWORDS = TextCheck(
    "stopwords", "stopword_ratio", MinRatioFilter, lambda b, s: ratio(b.measures.stop, b.measures.words),
    paragraph={"min": 0.3}, document={"min": 0.35}, needs_word_lists=True)
FLAGGED_WORDS = TextCheck(
    "flagged_words", "flagged_word_ratio", MaxRatioFilter, lambda b, s: ratio(b.measures.flagged, b.measures.words),
    paragraph={"max": 0.01}, document={"max": 0.01}, needs_word_lists=True)
PUNCTUATION = TextCheck(
    "punctuation", "punctuation_ratio", PunctuationFilter, _punctuation_ratio,
    paragraph={"min": 0.001, "min_words": 12}, document={"min": 0.03})
COMMON_WORDS = TextCheck(
    "common_words", "common_word_ratio", MinRatioFilter, lambda b, s: ratio(b.measures.common, b.measures.words),
    paragraph={"min": 0.8}, document={"min": 0.9}, needs_word_lists=True)
SPAM = TextCheck(
    "spam", "spam_ratio", SpamFilter, lambda b, s: ratio(b.measures.spam, b.measures.words),
    paragraph={"less_than": 0.12}, document={"enabled": False, "less_than": 0.12}, needs_word_lists=True)

OBELICS_CHECKS = (WORDS, CHAR_REPETITION, WORD_REPETITION, SPECIAL_CHARS, STOPWORDS, FLAGGED_WORDS,
                  PUNCTUATION, COMMON_WORDS, SPAM)
