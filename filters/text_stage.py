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

from builder.context import RunContext
from builder.document import Document, TextNode
from filters import batch_measures as bm
from filters import text_measures as tm
from filters.config import FiltersConfig
from filters.lang import identify, stored_language
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
        # Counts are shared by both levels, so count what either level needs.
        self._count_flags = {k: v or self.document.enabled[k] for k, v in self.paragraph.enabled.items()}
        self._needs_lists = any(self._count_flags[name] for name in
                                ("stopwords", "flagged_words", "common_words", "spam"))
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
        raw_text = PARAGRAPH_SEPARATOR.join(n.text for n in texts)
        lang = self._document_language(doc, raw_text)
        lists = self._word_lists(lang[0] if lang and lang[0] in self.config.languages
                                 else self.config.languages[0])
        ctx.stats.count("paragraph.in", len(texts))

        counts: dict[int, TextCounts] = {}
        kept: list[TextNode] = []
        failures: list[str] = []
        reused = [self.reuse_scores and self.paragraph.has_scores(n.scores) for n in texts]
        measured = self._measure([n for n, r in zip(texts, reused) if not r])
        for node, reuse in zip(texts, reused):
            if reuse:
                failed = self.paragraph.failures(node.scores)
            else:
                scores, c, failed = self.paragraph.evaluate(
                    node.text, lists, counts=measured[id(node)], stop_early=self.drop,
                    count_flags=self._count_flags)
                counts[id(node)] = c
                node.scores.update(scores)
            if failed and self.drop:
                ctx.stats.drop("paragraph." + failed[0])
                continue
            failures.extend("paragraph." + name for name in failed)
            kept.append(node)

        unchanged = len(kept) == len(texts)
        if unchanged and self.reuse_scores and self.document.has_scores(doc.scores):
            doc_failed = self.document.failures(doc.scores)
        else:
            scores, doc_failed = self._document_scores(kept, counts, lists, lang if unchanged else None)
            doc.scores.update(scores)
        if self.config.repetition.enabled:
            doc.scores.update(repetition_scores([n.text for n in kept],
                                                [w for n in kept for w in self._words(n, counts, lists)],
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

    def _measure(self, nodes: list[TextNode]) -> dict[int, TextCounts]:
        """Words of each paragraph, and what numpy measures faster for all of them at once.

        In drop mode, what fails on its word count (the first check) is measured no further.
        Word repetition and the word-list counts stay per paragraph, where `evaluate` computes
        them lazily: a set tells "no 5-gram repeats" faster than any batching (measured).
        """
        counts = {id(n): TextCounts(words=tm.words_of(n.text), chars=len(n.text)) for n in nodes}
        if not nodes or len(nodes) >= bm.MAX_SEGMENTS:
            return counts  # nothing to batch (or too much): evaluate() measures one by one
        flags, para = self._count_flags, self.paragraph
        words_cfg = para.filters.words
        if self.drop and para.enabled["words"]:
            nodes = [n for n in nodes if words_cfg.min <= len(counts[id(n)].words) <= words_cfg.max]
        if not nodes:
            return counts
        texts = [n.text for n in nodes]
        if flags["special_chars"] or flags["punctuation"]:
            special, punct, tokens = bm.char_class_counts(texts)
            for node, sp, pu, to in zip(nodes, special.tolist(), punct.tolist(), tokens.tolist()):
                c = counts[id(node)]
                c.special, c.punct, c.tokens, c.classes_done = sp, pu, to, True
        if para.enabled["char_repetition"]:
            ratios = bm.char_repetition_ratios(texts, para.filters.char_repetition.n)
            for node, ratio in zip(nodes, ratios.tolist()):
                counts[id(node)].char_repetition = ratio
        return counts

    def _document_language(self, doc: Document, raw_text: str) -> tuple[str, float] | None:
        """The language of the whole text, when word lists or the lang filter need it."""
        if not (self._needs_lists or self.document.enabled["lang"]):
            return None
        if len(self.config.languages) == 1:
            return None  # one language: its lists apply whatever the text is; lang id runs later
        if self.reuse_scores:
            stored = stored_language(doc.scores)
            if stored is not None:
                return stored
        return identify(raw_text)

    def _counts(self, node: TextNode, counts: dict[int, TextCounts], lists: WordListSet) -> TextCounts:
        c = counts.get(id(node))
        if c is None:  # scores were reused: count again (the text changed around it)
            _, c, _ = self.paragraph.evaluate(node.text, lists, count_flags=self._count_flags)
            counts[id(node)] = c
        return c

    def _words(self, node: TextNode, counts: dict[int, TextCounts], lists: WordListSet) -> list[str]:
        return self._counts(node, counts, lists).words

    def _document_scores(self, kept: list[TextNode], counts: dict[int, TextCounts], lists: WordListSet,
                         lang: tuple[str, float] | None) -> tuple[dict[str, float], list[str]]:
        total = TextCounts()
        for i, node in enumerate(kept):
            total.add(self._counts(node, counts, lists), len(PARAGRAPH_SEPARATOR) if i else 0)
        text = PARAGRAPH_SEPARATOR.join(n.text for n in kept)
        scores, _, failed = self.document.evaluate(text, lists, counts=total, lang=lang, stop_early=self.drop)
        return scores, failed


