"""The seam between stages: a step from an iterable of documents to an iterator of documents.

Every document stage of a run subclasses `Stage` (docs/extending.md). A stage yields the
documents it keeps and, for everything it removes (a document, a paragraph, an image),
records a reason with ``ctx.stats.drop(...)`` or ``ctx.drop_document(...)``: it never drops
anything silently. The partition task opens each stage before the first document and closes
it when the partition ends, failed or not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from builder.context import RunContext
    from builder.document import Document


class Stage:
    """A streaming step of the pipeline: ``stage(docs, ctx)`` yields the documents kept.

    Subclasses set `name` (it names the stage in messages) and implement `__call__`; a stage
    that holds resources (thread pools, connections) takes them in `open` and gives them
    back in `close`. Both may be called more than once: they must be idempotent.
    """

    name: ClassVar[str] = "stage"
    # False: annotate mode (filters.action: annotate): what would be removed is only noted on the
    # document (`FAILURES_KEY`), so `loom rethreshold` can decide later. Set per instance.
    drop: bool = True

    def open(self, ctx: RunContext) -> None:
        """Take what the stage needs before its first document (default: nothing)."""

    def __call__(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
        raise NotImplementedError

    def close(self) -> None:
        """Give back what `open` took (default: nothing)."""

    # -- removing with a reason (or, in annotate mode, noting it) --------------------------------

    def remove(self, doc: Document, ctx: RunContext, reasons: dict[int, str]) -> None:
        """Remove nodes of `doc` (``id(node)`` -> reason): counted and recorded (`ctx.remove_nodes`).

        In annotate mode nothing is removed; each reason is noted on the document instead.
        """
        if self.drop:
            ctx.remove_nodes(doc, reasons)
        else:
            record_failures(doc, reasons.values())

    def reject(self, doc: Document, ctx: RunContext, reason: str, causes: dict[str, int] | None = None) -> bool:
        """`doc` fails with `reason` (``doc.<why>``): True when it is dropped and must not be yielded.

        In annotate mode the reason is noted on the document and it goes on (False).
        """
        if self.drop:
            ctx.drop_document(doc, reason, causes)
            return True
        record_failures(doc, [reason])
        return False


FAILURES_KEY = "filter_failures"  # doc.metadata key: annotate mode's reasons, with their counts


def record_failures(doc: Document, failures: Iterable[str]) -> None:
    """Annotate mode: remember what would have been dropped, by reason."""
    tally: Counter[str] = Counter(doc.metadata.get(FAILURES_KEY) or {})
    tally.update(failures)
    if tally:
        doc.metadata[FAILURES_KEY] = dict(tally)


def run_stages(stages: Iterable[Stage], docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
    """`docs` through every stage in order, each opened first (lazily chained: nothing runs yet)."""
    stream: Iterator[Document] = iter(docs)
    for stage in stages:
        stage.open(ctx)
        stream = stage(stream, ctx)
    return stream


def close_stages(stages: Iterable[Stage]) -> None:
    """Close every stage, in order."""
    for stage in stages:
        stage.close()
