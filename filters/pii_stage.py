"""The PII stage: personal data in paragraphs, alt texts and captions replaced by placeholders.

Off by default (OBELICS did not scrub). It runs after the text filters, so the scores are
measured on the text as published. Every replacement is counted, by kind, in the run's
stats (``pii.email``, ``pii.ip``, ``pii.phone``) and in the document's ``metadata["pii"]``.
Nothing is dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from builder.context import RunContext
from builder.document import Document, ImageNode, TextNode
from builder.stage import Stage
from filters.config import PiiFilter
from filters.pii import PiiScrubber

PII_KEY = "pii"


class PiiStage(Stage):
    name = "filters.pii"

    def __init__(self, config: PiiFilter) -> None:
        self.scrubber = PiiScrubber(config.email, config.ip, config.phone, config.email_placeholder,
                                    config.ip_placeholder, config.phone_placeholder)

    def __call__(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
        for doc in docs:
            found: Counter[str] = Counter()
            for node in doc.nodes:
                if isinstance(node, TextNode):
                    node.text = self._scrub(node.text, found)
                elif isinstance(node, ImageNode):
                    node.alt = self._scrub(node.alt, found)
                    node.caption = self._scrub(node.caption, found)
            if found:
                previous = Counter(doc.metadata.get(PII_KEY) or {})
                doc.metadata[PII_KEY] = dict(previous + found)
                for kind, n in found.items():
                    ctx.stats.count(f"pii.{kind}", n)
            yield doc

    def _scrub(self, text: str, found: Counter[str]) -> str:
        if not text:
            return text
        text, counts = self.scrubber.scrub(text)
        found.update(counts)
        return text
