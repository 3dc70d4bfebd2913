"""The last word on a document: enough (not too many) images, and some text left."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from builder.context import RunContext
from builder.document import Document, TextNode
from builder.stage import Stage
from filters.config import FiltersConfig
from filters.image_stage import too_few_images_reason


class DocumentRulesStage(Stage):
    name = "filters.document_rules"

    def __init__(self, config: FiltersConfig) -> None:
        self.rules = config.rules
        self.drop = config.action == "drop"

    def failure(self, doc: Document) -> str | None:
        n_images = len(doc.images)
        doc.scores["images"] = float(n_images)
        if n_images < self.rules.min_images:
            return "too_few_images"
        if n_images > self.rules.max_images:
            return "too_many_images"
        if self.rules.require_text and not any(
                isinstance(n, TextNode) and n.text.strip() for n in doc.nodes):
            return "no_text"
        return None

    def root_cause(self, doc: Document, reason: str) -> tuple[str, dict[str, int] | None]:
        """A document that fails because its filters or fetches emptied it is dropped for that."""
        if reason == "too_few_images":
            return too_few_images_reason(doc)
        if reason == "no_text":
            causes = doc.removal_reasons("text")
            if causes:
                return "doc.no_text_left", causes
        return "doc." + reason, None

    def __call__(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
        for doc in docs:
            reason = self.failure(doc)
            if reason is not None and self.reject(doc, ctx, *self.root_cause(doc, reason)):
                continue
            yield doc
