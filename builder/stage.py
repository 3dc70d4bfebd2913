"""The seam between stages: a step from an iterable of documents to an iterator of documents.

Every document stage of a run subclasses `Stage` (docs/extending.md). A stage yields the
documents it keeps and, for everything it removes (a document, a paragraph, an image),
records a reason with ``ctx.stats.drop(...)`` or ``ctx.drop_document(...)``: it never drops
anything silently. The partition task opens each stage before the first document and closes
it when the partition ends, failed or not.
"""

from __future__ import annotations

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

    def open(self, ctx: RunContext) -> None:
        """Take what the stage needs before its first document (default: nothing)."""

    def __call__(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
        raise NotImplementedError

    def close(self) -> None:
        """Give back what `open` took (default: nothing)."""


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
