"""Drop documents, and images, whose host is on a domain blocklist (UT1 format, `filters.blocklist`).

Runs first among the filters: nothing is measured or fetched for a blocked page. A blocked
page is ``doc.blocked_domain`` (its category in ``metadata["blocked_category"]``); a blocked
image in a kept page is ``image.blocked_domain``, and its blocked candidate URLs are removed
so no other stage fetches them. It drops in annotate mode too: a policy, not a score, so a
scored corpus never fetches from a blocked domain.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from builder.context import RunContext
from builder.document import Document
from builder.stage import Stage
from filters.blocklist import DomainBlocklist
from filters.config import BlocklistFilter


class BlocklistStage(Stage):
    name = "filters.blocklist"

    def __init__(self, config: BlocklistFilter) -> None:
        self.config = config
        self.blocklist: DomainBlocklist | None = None

    def open(self, ctx: RunContext) -> None:
        if self.blocklist is None:
            paths = [ctx.config.resolve(p) for p in self.config.paths]
            self.blocklist = DomainBlocklist.load(paths, self.config.categories)

    def __call__(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
        self.open(ctx)
        assert self.blocklist is not None
        for doc in docs:
            category = self.blocklist.category_of(doc.url)
            if category is not None:
                doc.metadata["blocked_category"] = category
                ctx.drop_document(doc, "doc.blocked_domain")
                continue
            self._drop_images(doc, ctx)
            yield doc

    def _drop_images(self, doc: Document, ctx: RunContext) -> None:
        assert self.blocklist is not None
        blocked = self.blocklist.category_of
        removed: dict[int, str] = {}
        for node in doc.images:
            if node.src and blocked(node.src) is not None:
                removed[id(node)] = "image.blocked_domain"
            elif node.candidates:
                node.candidates = [u for u in node.candidates if blocked(u) is None]
        ctx.remove_nodes(doc, removed)  # counted, and recorded on the document
