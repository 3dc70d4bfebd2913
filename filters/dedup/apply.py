"""Apply: carry out reduce's decisions on one partition's documents, counting every removal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator

from builder.document import Document, ImageNode, TextNode
from filters.dedup.decisions import PartitionDecisions
from filters.dedup.keys import paragraph_key, url_domain

if TYPE_CHECKING:
    from builder.context import RunContext


def apply_decisions(docs: Iterable[Document], decisions: PartitionDecisions, ctx: RunContext,
                    drop_emptied: bool, min_chars: int) -> Iterator[Document]:
    seen: dict[str, int] = {}
    for doc in docs:
        occurrence = seen.get(doc.id, 0)
        seen[doc.id] = occurrence + 1
        ref = (doc.id, occurrence)
        drop = decisions.drops.get(ref)
        if drop is not None:
            reason, kept = drop
            doc.metadata["duplicate_of"] = kept
            ctx.drop_document(doc, f"doc.{reason}")
            continue
        images = decisions.images.get(ref)
        paragraphs = decisions.paragraphs.get(ref)
        if images is None and paragraphs is None:
            yield doc
            continue
        had_text = any(isinstance(n, TextNode) for n in doc.nodes)
        had_images = any(isinstance(n, ImageNode) for n in doc.nodes)
        ctx.remove_nodes(doc, _removals(doc, images or {}, paragraphs or set(), ctx, min_chars))
        lost_text = had_text and not any(isinstance(n, TextNode) for n in doc.nodes)
        lost_images = had_images and not any(isinstance(n, ImageNode) for n in doc.nodes)
        if drop_emptied and (lost_text or lost_images):
            causes = {**(doc.removal_reasons("text") if lost_text else {}),
                      **(doc.removal_reasons("image") if lost_images else {})}
            ctx.drop_document(doc, "doc.dedup_empty", causes)
            continue
        yield doc


def _removals(doc: Document, images: dict[int, tuple[str, str]], paragraphs: set[int],
              ctx: RunContext, min_chars: int) -> dict[int, str]:
    """``id(node)`` → reason for every node reduce's decisions remove from `doc`."""
    domain = url_domain(doc.url)
    removals: dict[int, str] = {}
    ordinal = -1
    for node in doc.nodes:
        if isinstance(node, ImageNode):
            ordinal += 1
            decision = images.get(ordinal)
            if decision is not None:
                src, reason = decision
                if src == node.src:
                    removals[id(node)] = f"image.{reason}"
                    continue
                # The document changed between map and apply: keep the image, say so.
                ctx.stats.count("dedup.image_mismatch")
        elif (paragraphs and len(node.text.strip()) >= min_chars
              and paragraph_key(domain, node.text) in paragraphs):
            removals[id(node)] = "paragraph.repeated_in_domain"
    return removals
