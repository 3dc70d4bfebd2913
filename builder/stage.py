"""The seam between stages: a function from an iterable of documents to an iterator of documents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator, Protocol

if TYPE_CHECKING:
    from builder.context import RunContext
    from builder.document import Document


class Stage(Protocol):
    """A streaming step of the pipeline.

    A stage yields the documents it keeps and, for everything it removes (a document,
    a paragraph, an image), records a reason with ``ctx.stats.drop(...)`` or
    ``ctx.drop_document(...)``. It never drops anything silently.
    """

    name: str

    def __call__(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]: ...
