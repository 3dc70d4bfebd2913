"""Paragraph then document text filters, as OBELICS ran them (node level, then doc level).

Every text node is a paragraph. Each is scored and, in ``drop`` mode, removed when it fails
a filter (``paragraph.<filter>``). The document is then scored on the text that is left
(paragraphs joined by a blank line) and dropped when it fails (``doc.<filter>``). Word lists
follow the document's language (predicted on its whole text) when it is one of the wanted
languages, else the first wanted language.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

import numpy as np

from builder.context import RunContext
from builder.document import Document, TextNode
from filters import batch_measures as bm
from filters import text_measures as tm
from filters.config import FiltersConfig
from filters.lang import identify, stored_language
from filters.paragraph_judge import judge_paragraphs
from filters.repetition import repetition_failures, repetition_scores
from filters.text_scoring import TextCounts, TextScorer, WordListSet

PARAGRAPH_SEPARATOR = "\n\n"
FAILURES_KEY = "filter_failures"


def record_failures(doc: Document, failures: Iterable[str]) -> None:
    """Annotate mode: remember what would have been dropped, by reason."""
    tally: Counter[str] = Counter(doc.metadata.get(FAILURES_KEY) or {})
    tally.update(failures)
    if tally:
        doc.metadata[FAILURES_KEY] = dict(tally)


class TextFilterStage:
    name = "filters.text"

    def __init__(self, config: FiltersConfig, reuse_scores: bool = False) -> None:
        self.config = config
        self.reuse_scores = reuse_scores  # trust scores already on nodes (re-thresholding)
        self.drop = config.action == "drop"
        self.paragraph = TextScorer(config.paragraph, config.languages)
        self.document = TextScorer(config.document, config.languages)
        self._needs_lists = any(scorer.enabled[name] for scorer in (self.paragraph, self.document)
                                for name in ("stopwords", "flagged_words", "common_words", "spam"))
        self._lists: dict[str, WordListSet] = {}

    def __getstate__(self) -> dict[str, object]:
        # Word lists are large and cached per process: a worker loads its own.
        return {**self.__dict__, "_lists": {}}

    def _word_lists(self, lang: str) -> WordListSet:
        lists = self._lists.get(lang)
        if lists is None:
            lists = WordListSet.load(lang, self.config.word_lists.common_words_top_n)
            self._lists[lang] = lists
        return lists

    def __call__(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
        for doc in docs:
            if self.filter_document(doc, ctx):
                yield doc

    def filter_document(self, doc: Document, ctx: RunContext) -> bool:
        """Score `doc`, remove failing paragraphs; False when the whole document is dropped."""
        texts = [n for n in doc.nodes if isinstance(n, TextNode)]
        strings = [n.text for n in texts]
        lang = self._document_language(doc, strings)
        lists = self._word_lists(lang[0] if lang and lang[0] in self.config.languages
                                 else self.config.languages[0])
        ctx.stats.count("paragraph.in", len(texts))

        para = self.paragraph.filters
        measures = bm.measure_paragraphs(strings, lists, para.char_repetition.n, para.word_repetition.n)
        scores, verdicts = judge_paragraphs(measures, self.paragraph, strings, stop_early=self.drop)
        keep = np.ones(len(texts), dtype=bool)
        failures: list[str] = []
        for i, node in enumerate(texts):
            if self.reuse_scores and self.paragraph.has_scores(node.scores):
                failed = self.paragraph.failures(node.scores)  # decided on the stored scores
            else:
                failed = verdicts[i]
                node.scores.update(scores[i])
            if failed and self.drop:
                ctx.stats.drop("paragraph." + failed[0])
                keep[i] = False
                continue
            failures.extend("paragraph." + name for name in failed)
        kept = [n for n, k in zip(texts, keep) if k]

        unchanged = len(kept) == len(texts)
        if unchanged and self.reuse_scores and self.document.has_scores(doc.scores):
            doc_failed = self.document.failures(doc.scores)
        else:
            text = PARAGRAPH_SEPARATOR.join(n.text for n in kept)
            doc_scores, _, doc_failed = self.document.evaluate(
                text, lists, counts=_document_counts(measures, keep), lang=lang if unchanged else None,
                stop_early=self.drop)
            doc.scores.update(doc_scores)
        if self.config.repetition.enabled:
            doc.scores.update(repetition_scores([n.text for n in kept],
                                                [w for n in kept for w in tm.words_of(n.text)],
                                                self.config.repetition))
            doc_failed += repetition_failures(doc.scores, self.config.repetition)
        stored = stored_language(doc.scores)
        if stored is not None and stored[0] != "unknown":
            doc.metadata["lang"] = stored[0]

        if doc_failed and self.drop:
            ctx.stats.drop("paragraph.in_dropped_doc", len(kept))
            ctx.drop_document(doc, "doc." + doc_failed[0])
            return False
        if not unchanged:
            removed = {id(n) for n in texts} - {id(n) for n in kept}
            doc.nodes = [n for n in doc.nodes if id(n) not in removed]
        ctx.stats.count("paragraph.out", len(kept))
        if not self.drop:
            record_failures(doc, failures + ["doc." + name for name in doc_failed])
        return True

    def _document_language(self, doc: Document, paragraphs: list[str]) -> tuple[str, float] | None:
        """The language of the whole text, when word lists or the lang filter need it."""
        if not (self._needs_lists or self.document.enabled["lang"]):
            return None
        if len(self.config.languages) == 1:
            return None  # one language: its lists apply whatever the text is; lang id runs later
        if self.reuse_scores:
            stored = stored_language(doc.scores)
            if stored is not None:
                return stored
        return identify(PARAGRAPH_SEPARATOR.join(paragraphs), self.config.document.lang.max_chars)


def _document_counts(m: bm.ParagraphMeasures, keep: np.ndarray) -> TextCounts:
    """The document's counts: the sums over its kept paragraphs (their separators are whitespace)."""
    n_kept = int(keep.sum())
    separators = len(PARAGRAPH_SEPARATOR) * max(n_kept - 1, 0)

    def total(values: np.ndarray | None) -> int:
        return 0 if values is None else int(values[keep].sum())

    all_kept = n_kept == len(keep)
    return TextCounts(
        n_words=total(m.words), chars=total(m.chars) + separators, special=total(m.special) + separators,
        punct=total(m.punct), tokens=total(m.tokens), stop=total(m.stop), flagged=total(m.flagged),
        common=total(m.common), spam=total(m.spam), classes_done=True, lists_done=True,
        word_ids=m.word_ids if all_kept else m.word_ids[np.repeat(keep, m.words)])
