"""Paragraph then document text filters, as OBELICS ran them (node level, then doc level).

Every text node is a paragraph. Each is scored and, in ``drop`` mode, removed when it fails
a check (``paragraph.<check>``, or ``paragraph.words_below_min`` / ``_above_max`` for a
check with two bounds). The document is then scored on the text that is left (paragraphs
joined by a blank line) and dropped when it fails (``doc.<check>``, likewise). Word lists
follow the document's language (predicted on its whole text) when it is one of the wanted
languages, else the first wanted language.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from builder.context import RunContext
from builder.document import Document, TextNode
from builder.stage import Stage, record_failures
from filters import batch_measures as bm
from filters import text_measures as tm
from filters.config import FiltersConfig
from filters.lang import identify, stored_language
from filters.paragraph_judge import judge_paragraphs
from filters.repetition import repetition_failures, repetition_scores
from filters.text_scoring import TextScorer, WordListSet

PARAGRAPH_SEPARATOR = bm.SEPARATOR
BATCH_DOCS = 64  # documents scored together (at most)
BATCH_CHARS = 100_000  # characters scored together (at most): arrays stay in cache
class TextFilterStage(Stage):
    name = "filters.text"

    def __init__(self, config: FiltersConfig, reuse_scores: bool = False) -> None:
        self.config = config
        self.reuse_scores = reuse_scores  # trust scores already on nodes (re-thresholding)
        self.drop = config.action == "drop"
        self.paragraph = TextScorer(config.paragraph, config.languages)
        self.document = TextScorer(config.document, config.languages)
        self._needs_lists = self.paragraph.needs_word_lists or self.document.needs_word_lists
        self._lists: dict[str, WordListSet] = {}

    def __getstate__(self) -> dict[str, object]:
        # Word lists are large and cached per process: a worker loads its own.
        return {**self.__dict__, "_lists": {}}

    def _word_lists(self, lang: str) -> WordListSet:
        lists = self._lists.get(lang)
        if lists is None:
            lists = WordListSet.for_config(lang, self.config.word_lists)
            self._lists[lang] = lists
        return lists

    def __call__(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
        batch: list[_Pending] = []
        chars = 0
        for doc in docs:  # documents are scored in batches: numpy calls cost per call, not per item
            nodes = [n for n in doc.nodes if isinstance(n, TextNode)]
            strings = [n.text for n in nodes]
            batch.append(_Pending(doc, nodes, strings))
            chars += sum(map(len, strings))
            if len(batch) >= BATCH_DOCS or chars >= BATCH_CHARS:
                yield from self.filter_batch(batch, ctx)
                batch, chars = [], 0
        if batch:
            yield from self.filter_batch(batch, ctx)

    def filter_batch(self, batch: list[_Pending], ctx: RunContext) -> list[Document]:
        """Score a batch and remove failing paragraphs; the documents kept, in order."""
        for item in batch:
            item.lang = self._document_language(item.doc, item.strings)
        groups: dict[str, list[_Pending]] = {}  # documents sharing word lists are measured together
        for item in batch:
            lang = item.lang
            list_lang = lang[0] if lang and lang[0] in self.config.languages else self.config.languages[0]
            groups.setdefault(list_lang, []).append(item)
        for list_lang, members in groups.items():
            self._score_group(members, self._word_lists(list_lang))
        return [item.doc for item in batch if self._apply(item, ctx)]

    def _score_group(self, items: list[_Pending], lists: WordListSet) -> None:
        """Score the paragraphs and the documents of `items`, filling in their verdicts."""
        nodes = [n for item in items for n in item.nodes]
        strings = [t for item in items for t in item.strings]
        para_offsets = np.concatenate(([0], np.cumsum([len(item.nodes) for item in items])))
        para, doc_cfg = self.paragraph.filters, self.document.filters
        m = bm.measure_paragraphs(strings, lists, para.char_repetition.n, para.word_repetition.n)
        scores, failed = judge_paragraphs(m, self.paragraph, strings, stop_early=self.drop)
        for i, (node, (keys, values)) in enumerate(zip(nodes, scores)):
            if self.reuse_scores and self.paragraph.has_scores(node.scores):
                failed[i] = tuple(self.paragraph.failures(node.scores))  # decided on the stored scores
            else:
                node.scores.update(zip(keys, values))
        keep = [not (f and self.drop) for f in failed]

        bounds = list(zip(para_offsets[:-1].tolist(), para_offsets[1:].tolist()))
        doc_texts = [PARAGRAPH_SEPARATOR.join([t for t, k in zip(strings[a:b], keep[a:b]) if k]) for a, b in bounds]
        unchanged = [all(keep[a:b]) for a, b in bounds]
        reuse_doc = [u and self.reuse_scores and self.document.has_scores(item.doc.scores)
                     for u, item in zip(unchanged, items)]
        word_bounds = (doc_cfg.words.min, doc_cfg.words.max) if self.drop and doc_cfg.words.enabled else (0, None)
        dm = bm.document_measures(m, np.array(keep, dtype=bool), para_offsets, doc_texts,
                                  doc_cfg.char_repetition.n, doc_cfg.word_repetition.n, *word_bounds)
        doc_scores, doc_failed = judge_paragraphs(
            dm, self.document, doc_texts, stop_early=self.drop,
            known_langs=[item.lang if u else None for item, u in zip(items, unchanged)], skip=reuse_doc)
        for d, item in enumerate(items):
            a, b = bounds[d]
            if reuse_doc[d]:
                doc_failed[d] = tuple(self.document.failures(item.doc.scores))
            else:
                item.doc.scores.update(zip(*doc_scores[d]))
            item.paragraph_failures, item.keep, item.document_failures = failed[a:b], keep[a:b], doc_failed[d]

    def _apply(self, verdict: _Pending, ctx: RunContext) -> bool:
        """Count and carry out one document's verdict; False when the document is dropped."""
        doc, texts = verdict.doc, verdict.nodes
        ctx.stats.count("paragraph.in", len(texts))
        failures: list[str] = []
        removals: dict[int, str] = {}
        for node, failed, kept in zip(texts, verdict.paragraph_failures, verdict.keep):
            if not kept:
                removals[id(node)] = "paragraph." + failed[0]
            elif failed:  # annotate mode
                failures.extend("paragraph." + name for name in failed)
        ctx.remove_nodes(doc, removals)  # counted, and recorded on the document (kept or rejected)
        kept_nodes = [n for n, k in zip(texts, verdict.keep) if k]
        doc_failed = list(verdict.document_failures)
        if self.config.repetition.enabled:
            doc.scores.update(repetition_scores([n.text for n in kept_nodes],
                                                [w for n in kept_nodes for w in tm.words_of(
                                                    n.text, self.config.word_lists.straight_apostrophes)],
                                                self.config.repetition))
            doc_failed += repetition_failures(doc.scores, self.config.repetition)
        stored = stored_language(doc.scores)
        if stored is not None and stored[0] != "unknown":
            doc.metadata["lang"] = stored[0]

        if doc_failed and self.drop:
            ctx.stats.drop("paragraph.in_dropped_doc", len(kept_nodes))
            if texts and not kept_nodes:  # the paragraph filters emptied it: that is the cause
                ctx.drop_document(doc, "doc.no_text_left", doc.removal_reasons("text"))
            else:
                ctx.drop_document(doc, "doc." + doc_failed[0])
            return False
        ctx.stats.count("paragraph.out", len(kept_nodes))
        if not self.drop:
            record_failures(doc, failures + ["doc." + name for name in doc_failed])
        return True

    def _document_language(self, doc: Document, paragraphs: list[str]) -> tuple[str, float] | None:
        """The language of the whole text, when word lists or the lang filter need it."""
        if not (self._needs_lists or self.document.lang is not None):
            return None
        if len(self.config.languages) == 1:
            return None  # one language: its lists apply whatever the text is; lang id runs later
        if self.reuse_scores:
            stored = stored_language(doc.scores)
            if stored is not None:
                return stored
        return identify(PARAGRAPH_SEPARATOR.join(paragraphs), self.config.document.lang.max_chars)


@dataclass(slots=True)
class _Pending:
    """A document in a batch: its text nodes, then what the filters found."""

    doc: Document
    nodes: list[TextNode]
    strings: list[str]
    lang: tuple[str, float] | None = None  # predicted on the whole text, when needed before scoring
    paragraph_failures: list[tuple[str, ...]] = field(default_factory=list)  # per text node, in filter order
    keep: list[bool] = field(default_factory=list)  # per text node
    document_failures: tuple[str, ...] = ()
