"""What a stage can see while it runs over one partition: config, counters, side inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

from builder.stats import Stats

if TYPE_CHECKING:
    from builder.config import LoomConfig
    from builder.document import Document


class ImageArchive(Protocol):
    """Image bytes held by the archive a page came from (a WARC with its images inside)."""

    def get(self, url: str) -> tuple[bytes, dict[str, str]] | None:
        """The payload and lower-cased HTTP headers of the archived response for `url`."""
        ...


@dataclass
class RunContext:
    config: LoomConfig
    stats: Stats = field(default_factory=Stats)
    partition: str = ""
    work_dir: Path | None = None
    image_archive: ImageArchive | None = None
    # Receives each rejected document with its reason, when the config keeps rejects.
    rejects: Callable[[Document, str], None] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def drop_document(self, doc: Document, reason: str) -> None:
        """Drop a whole document: counts it, and its images, under `reason`.

        The images still inside a dropped document count as ``image.in_dropped_doc`` so
        the image books balance too.
        """
        if not reason.startswith("doc."):
            reason = "doc." + reason
        self.stats.drop(reason)
        n_images = len(doc.images)
        if n_images:
            self.stats.drop("image.in_dropped_doc", n_images)
        if self.rejects is not None:
            doc.metadata["drop_reason"] = reason
            self.rejects(doc, reason)
