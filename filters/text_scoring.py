"""The checks of one text level (paragraph or document), bound to their thresholds, and the word lists.

Score keys (stored in ``node.scores`` for paragraphs and ``doc.scores`` for documents) are
the registered checks' `score_key` (`filters.checks`) and ``lang_<code>`` (probability of
the predicted language). A score is only computed when its check is enabled (and its word
list exists for the language). The scores are measured and judged by `paragraph_judge`;
`TextScorer.failures` judges stored scores again (re-thresholding).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from filters.batch_measures import COMMON, FLAGGED, SPAM_START, STOP
from filters.checks import TEXT_CHECKS, CheckSettings, TextCheck
from filters.checks.base import Test
from filters.checks.language import LangFilter
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


class TextScorer:
    """The enabled checks of one level, bound to its thresholds (the tests take floats or arrays)."""

    def __init__(self, filters: TextFilters, languages: list[str]) -> None:
        self.filters = filters
        self.languages = languages
        # (check, its settings) for every enabled check, in order; language id apart (it runs last).
        self.checks: list[tuple[TextCheck, CheckSettings]] = [
            (check, settings) for check in TEXT_CHECKS if (settings := getattr(filters, check.name)).enabled]
        # Each check's bounds as (reason, test), bound to their thresholds once, not per text.
        self.bounds: dict[str, list[tuple[str, Test]]] = {
            check.name: [(check.name + suffix, test) for suffix, test in settings.bounds()]
            for check, settings in self.checks}
        self.lang: LangFilter | None = filters.lang if filters.lang.enabled else None
        self.needs_word_lists = any(check.needs_word_lists for check, _ in self.checks)

    def __getstate__(self) -> dict[str, object]:
        return {"filters": self.filters, "languages": self.languages}  # the bound tests are rebuilt

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["filters"], state["languages"])  # type: ignore[misc, arg-type]

    def failures(self, scores: dict[str, float]) -> list[str]:
        """Reasons the stored `scores` fail, in check order (the first is the drop reason)."""
        failed = [reason for check, _ in self.checks if check.score_key in scores
                  for reason, passes in self.bounds[check.name] if not passes(scores[check.score_key])]
        if self.lang is not None:
            stored = stored_language(scores)
            if stored is not None and not self.lang.accepts(*stored, self.languages):
                failed.append("lang")
        return failed

    def has_scores(self, scores: dict[str, float]) -> bool:
        """Whether `scores` holds every score this scorer needs (word lists allowing)."""
        if any(check.score_key not in scores for check, _ in self.checks if not check.needs_word_lists):
            return False
        return self.lang is None or stored_language(scores) is not None
