"""Re-threshold documents scored earlier: apply new thresholds to the scores they carry.

Paragraph, image and document decisions read the stored scores (``node.scores``,
``doc.scores``); nothing is measured again except a document's text scores when some of its
paragraphs are removed (they depend on the text that is left). The NSFW model is not rerun
for an image that already has an ``nsfw`` score. Thresholds can only tighten what a
``drop`` run kept; score a corpus with ``filters.action: annotate`` to be free both ways.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from builder.context import RunContext
from builder.document import Document
from builder.stage import FAILURES_KEY, close_stages, run_stages
from filters.config import FiltersConfig
from filters.stage import build_filter_stages


def _fresh(docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
    for doc in docs:
        doc.metadata.pop(FAILURES_KEY, None)  # the old run's verdicts no longer hold
        ctx.stats.count("doc.in")
        ctx.stats.count("image.in", len(doc.images))
        yield doc


def rethreshold(docs: Iterable[Document], config: FiltersConfig, ctx: RunContext) -> Iterator[Document]:
    """The documents that pass `config`, counting every drop in ``ctx.stats`` (books balance)."""
    before, after = build_filter_stages(config.model_copy(update={"enabled": True}), reuse_scores=True)
    stages = [*before, *after]
    try:
        for doc in run_stages(stages, _fresh(docs, ctx), ctx):
            ctx.stats.count("doc.out")
            ctx.stats.count("image.out", len(doc.images))
            yield doc
    finally:
        close_stages(stages)
