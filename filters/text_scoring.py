"""The checks of one text level (paragraph or document), their thresholds, and the word lists.

Score keys (stored in ``node.scores`` for paragraphs and ``doc.scores`` for documents):
``words``, ``char_repetition``, ``word_repetition``, ``special_char_ratio``,
``stopword_ratio``, ``flagged_word_ratio``, ``punctuation_ratio``, ``common_word_ratio``,
``spam_ratio``, ``lang_<code>`` (probability of the predicted language). A score is only
computed when its filter is enabled (and its word list exists for the language). The scores
are measured by `batch_measures` and judged by `paragraph_judge`; `TextScorer.failures`
judges stored scores again (re-thresholding).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from filters.batch_measures import COMMON, FLAGGED, SPAM_START, STOP
from filters.config import TextFilters, WordLists
from filters.hashing import IdTable, string_ids
from filters.lang import stored_language
from filters.wordlists import common_words_for, flagged_words_from, spam_phrases_from, stopwords_from


@dataclass(frozen=True, slots=True)
class WordListSet:
    lang: str
    stopwords: frozenset[str] | None
    flagged: frozenset[str] | None
    common: frozenset[str] | None
    spam: dict[str, tuple[tuple[str, ...], ...]] | None
    straight_apostrophes: bool = True  # words are measured with "’" made "'" (loom); False: as they are
    # The same lists as word ids (`hashing`), for the batch measures: one table of flags.
    table: IdTable | None = field(default=None, compare=False)
    spam_ids: dict[int, tuple[tuple[int, ...], ...]] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.table is not None:
            return
        ids, flags = [], []
        for flag, words in ((STOP, self.stopwords), (FLAGGED, self.flagged), (COMMON, self.common),
                            (SPAM_START, self.spam)):
            if words:
                ids.append(string_ids(words))
                flags.append(np.full(len(ids[-1]), flag, dtype=np.uint8))
        table = IdTable(np.concatenate(ids) if ids else np.zeros(0, np.uint64),
                        np.concatenate(flags) if flags else np.zeros(0, np.uint8))
        object.__setattr__(self, "table", table)
        if self.spam is not None:  # each first word's phrases, in the same order, as ids
            object.__setattr__(self, "spam_ids", {
                int(first): tuple(tuple(string_ids(phrase).tolist()) for phrase in phrases)
                for first, phrases in zip(string_ids(self.spam), self.spam.values())})

    @classmethod
    def load(cls, lang: str, common_top_n: int, stopwords: str = "loom", flagged: str = "loom",
             spam: str = "loom", straight_apostrophes: bool = True) -> WordListSet:
        """The lists of `lang`; `stopwords`, `flagged`, `spam` name their source ("loom" or "obelics")."""
        return cls(lang, stopwords_from(stopwords, lang), flagged_words_from(flagged, lang),
                   common_words_for(lang, common_top_n), spam_phrases_from(spam, lang), straight_apostrophes)

    @classmethod
    def for_config(cls, lang: str, config: WordLists) -> WordListSet:
        return cls.load(lang, config.common_words_top_n, config.stopwords, config.flagged_words, config.spam,
                        config.straight_apostrophes)


def _at_most(limit: float) -> Callable[[float], bool]:
    return lambda value: value <= limit


def _at_least(limit: float) -> Callable[[float], bool]:
    return lambda value: value >= limit


def _below(limit: float) -> Callable[[float], bool]:
    return lambda value: value < limit


def _between(low: float, high: float) -> Callable[[float], bool]:
    return lambda value: (low <= value) & (value <= high)  # floats and arrays alike


# (filter name, score key, the score's test bound to a level's thresholds), in OBELICS's order.
Check = tuple[str, str, Callable[[TextFilters], Callable[[float], bool]]]
CHECKS: tuple[Check, ...] = (
    ("words", "words", lambda f: _between(f.words.min, f.words.max)),
    ("char_repetition", "char_repetition", lambda f: _at_most(f.char_repetition.max)),
    ("word_repetition", "word_repetition", lambda f: _at_most(f.word_repetition.max)),
    ("special_chars", "special_char_ratio", lambda f: _at_most(f.special_chars.max)),
    ("stopwords", "stopword_ratio", lambda f: _at_least(f.stopwords.min)),
    ("flagged_words", "flagged_word_ratio", lambda f: _at_most(f.flagged_words.max)),
    ("punctuation", "punctuation_ratio", lambda f: _at_least(f.punctuation.min)),
    ("common_words", "common_word_ratio", lambda f: _at_least(f.common_words.min)),
    ("spam", "spam_ratio", lambda f: _below(f.spam.less_than)),
)


class TextScorer:
    """The enabled checks of one level, bound to its thresholds (they take floats or arrays)."""

    def __init__(self, filters: TextFilters, languages: list[str]) -> None:
        self.filters = filters
        self.languages = languages
        self.enabled = {name: getattr(filters, name).enabled for name, _, _ in CHECKS}
        self.enabled["lang"] = filters.lang.enabled
        # Each check bound to its thresholds once, not looked up in the config per text.
        self._passes = {name: bind(filters) for name, _, bind in CHECKS}

    def __getstate__(self) -> dict[str, object]:
        return {"filters": self.filters, "languages": self.languages}  # the bound tests are rebuilt

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["filters"], state["languages"])  # type: ignore[misc, arg-type]

    def failures(self, scores: dict[str, float]) -> list[str]:
        """Names of the filters `scores` fail, in filter order (the first is the drop reason)."""
        failed = [name for name, key, _ in CHECKS
                  if self.enabled[name] and key in scores and not self._passes[name](scores[key])]
        if self.enabled["lang"]:
            stored = stored_language(scores)
            if stored is not None:
                code, prob = stored
                if code not in self.languages or prob < self.filters.lang.min_score:
                    failed.append("lang")
        return failed

    def has_scores(self, scores: dict[str, float]) -> bool:
        """Whether `scores` holds every score this scorer needs (word lists allowing)."""
        needed = [key for name, key, _ in CHECKS
                  if self.enabled[name] and key not in _LIST_DEPENDENT]
        if any(key not in scores for key in needed):
            return False
        return not self.enabled["lang"] or stored_language(scores) is not None



# Scores that are absent when the language has no word list for them.
_LIST_DEPENDENT = {"stopword_ratio", "flagged_word_ratio", "common_word_ratio", "spam_ratio"}
