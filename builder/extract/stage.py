"""The extraction stage: fetched pages in, documents out, every rejection counted."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from builder.extract.config import ExtractConfig
from builder.extract.extractor import ExtractRejected, extract_document
from builder.stats import Stats

if TYPE_CHECKING:
    from builder.context import RunContext
    from builder.document import Document
    from builder.sources.page import Page

log = logging.getLogger(__name__)


class ExtractStage:
    """`(pages, ctx) -> documents`: one Document per page that has content.

    Counts ``doc.in`` per page, ``image.in`` per image found in the article (kept or
    discarded by the extractor, whose discards are counted under their reasons), and drops a
    rejected page under its reason (``doc.page_too_large``, ``doc.empty``, ...). A page whose
    extraction fails unexpectedly is counted as ``doc.extract_error``; the stream goes on.
    """

    name = "extract"

    def __init__(self, config: ExtractConfig | None = None) -> None:
        self.config = config or ExtractConfig()

    def __call__(self, pages: Iterable[Page], ctx: RunContext) -> Iterator[Document]:
        for page in pages:
            ctx.stats.count("doc.in")
            if page.document is not None:  # a source of ready documents (OBELICS rows): nothing to extract
                ctx.stats.count("image.in", len(page.document.images))
                yield page.document
                continue
            page_stats = Stats()
            try:
                doc = extract_document(
                    page.body, page.url, headers=page.headers, config=self.config, stats=page_stats
                )
            except ExtractRejected as exc:
                ctx.stats.drop(exc.reason)
                continue
            except Exception as exc:  # one bad page must not stop the partition
                log.warning("extract failed for %s: %s: %s", page.url, type(exc).__name__, exc)
                ctx.stats.drop("doc.extract_error")
                continue
            doc.provenance = page.provenance
            ctx.stats.count("image.in", len(doc.images) + page_stats.dropped("image"))
            ctx.stats.merge(page_stats)
            yield doc
