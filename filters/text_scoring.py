"""Scores of one text level (paragraph or document) and the first filter each text fails.

Score keys (stored in ``node.scores`` for paragraphs and ``doc.scores`` for documents):
``words``, ``char_repetition``, ``word_repetition``, ``special_char_ratio``,
``stopword_ratio``, ``flagged_word_ratio``, ``punctuation_ratio``, ``common_word_ratio``,
``spam_ratio``, ``lang_<code>`` (probability of the predicted language). A score is only
computed when its filter is enabled (and its word list exists for the language).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from filters import batch_measures as bm
from filters import text_measures as tm
from filters.batch_measures import COMMON, FLAGGED, SPAM_START, STOP
from filters.config import TextFilters
from filters.hashing import IdTable, string_ids
from filters.lang import identify, lang_score_key, stored_language
from filters.wordlists import common_words_for, flagged_words_for, spam_phrases_for, stopwords_for


@dataclass(slots=True)
class TextCounts:
    """Additive counts of a text: a document's are the sums of its kept paragraphs'."""

    words: list[str] | None = None  # the words themselves, when a scalar path made them
    n_words: int = 0
    chars: int = 0
    special: int = 0
    punct: int = 0
    tokens: int = 0
    stop: int = 0
    flagged: int = 0
    common: int = 0
    spam: int = 0
    # Filled in ahead (by the batch measures), else computed when needed.
    classes_done: bool = False  # special, punct, tokens
    lists_done: bool = False  # stop, flagged, common, spam
    char_repetition: float | None = None
    word_repetition: float | None = None
    word_ids: np.ndarray | None = None  # the words as ids (`hashing`), for word repetition

    @classmethod
    def of_text(cls, text: str) -> TextCounts:
        words = tm.words_of(text)
        return cls(words=words, n_words=len(words), chars=len(text))


@dataclass(frozen=True, slots=True)
class WordListSet:
    lang: str
    stopwords: frozenset[str] | None
    flagged: frozenset[str] | None
    common: frozenset[str] | None
    spam: dict[str, tuple[tuple[str, ...], ...]] | None
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
    def load(cls, lang: str, common_top_n: int) -> WordListSet:
        return cls(lang, stopwords_for(lang), flagged_words_for(lang), common_words_for(lang, common_top_n),
                   spam_phrases_for(lang))


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


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
    """Measures and judges texts of one level with one set of word lists."""

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

    def evaluate(self, text: str, lists: WordListSet, counts: TextCounts | None = None,
                 lang: tuple[str, float] | None = None, stop_early: bool = False,
                 count_flags: dict[str, bool] | None = None) -> tuple[dict[str, float], TextCounts, list[str]]:
        """Scores of `text`, its counts, and the filters it fails, in filter order.

        `counts` reuses what was counted already (a document's counts are its paragraphs'
        sums; a paragraph's may come from the batch measures); `lang`
        reuses a language prediction made on this same text. With `stop_early` scoring stops
        at the first failure, as OBELICS did (what is dropped needs no more scores).
        `count_flags` also counts what another level needs, so its counts can be summed.
        """
        f, cfg, passes = self.enabled, self.filters, self._passes
        flags = count_flags or f
        c = counts if counts is not None else TextCounts.of_text(text)
        words = c.words if c.words is not None else []  # read only by the scalar counts below
        n_words = c.n_words
        s: dict[str, float] = {}
        failed: list[str] = []

        def judge(name: str, key: str, value: float) -> bool:
            """Store the score; True when scoring should stop here."""
            s[key] = value
            if not passes[name](value):
                failed.append(name)
                return stop_early
            return False

        if f["words"] and judge("words", "words", float(n_words)):
            return s, c, failed
        if f["char_repetition"]:
            value = c.char_repetition
            if value is None:
                value = tm.char_repetition_ratio(text, cfg.char_repetition.n)
            if judge("char_repetition", "char_repetition", value):
                return s, c, failed
        if f["word_repetition"]:
            value = c.word_repetition
            if value is None and c.word_ids is not None:
                value = bm.word_repetition_of_ids(c.word_ids, cfg.word_repetition.n)
            elif value is None:
                value = tm.word_repetition_ratio(words, cfg.word_repetition.n)
            if judge("word_repetition", "word_repetition", value):
                return s, c, failed
        count_classes = not c.classes_done
        count_lists = not c.lists_done
        if count_classes and flags["special_chars"]:
            c.special = tm.special_char_count(text)
        if f["special_chars"] and judge("special_chars", "special_char_ratio", _ratio(c.special, c.chars)):
            return s, c, failed
        if lists.stopwords is not None:
            if count_lists and flags["stopwords"]:
                c.stop = tm.count_in(words, lists.stopwords)
            if f["stopwords"] and judge("stopwords", "stopword_ratio", _ratio(c.stop, n_words)):
                return s, c, failed
        if lists.flagged is not None:
            if count_lists and flags["flagged_words"]:
                c.flagged = tm.count_in(words, lists.flagged)
            if f["flagged_words"] and judge("flagged_words", "flagged_word_ratio", _ratio(c.flagged, n_words)):
                return s, c, failed
        if count_classes and flags["punctuation"]:
            c.punct, c.tokens = tm.punctuation_counts(text)
        if f["punctuation"] and judge("punctuation", "punctuation_ratio",
                                      tm.punctuation_ratio(c.punct, c.tokens, cfg.punctuation.min_words)):
            return s, c, failed
        if lists.common is not None:
            if count_lists and flags["common_words"]:
                c.common = tm.count_in(words, lists.common)
            if f["common_words"] and judge("common_words", "common_word_ratio", _ratio(c.common, n_words)):
                return s, c, failed
        if lists.spam is not None:
            if count_lists and flags["spam"]:
                c.spam = tm.spam_word_count(words, lists.spam)
            if f["spam"] and judge("spam", "spam_ratio", _ratio(c.spam, n_words)):
                return s, c, failed
        if f["lang"]:
            code, prob = lang if lang is not None else identify(text, cfg.lang.max_chars)
            s[lang_score_key(code or "unknown")] = prob
            if code not in self.languages or prob < cfg.lang.min_score:
                failed.append("lang")
        return s, c, failed

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
