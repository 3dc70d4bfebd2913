"""What a stage can see while it runs over one partition: config, counters, side inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

from builder.stats import Stats

if TYPE_CHECKING:
    from builder.config import LoomConfig
    from builder.document import Document
    from builder.net.fetcher import Fetcher
    from builder.net.result import FetchResult


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
    # Side inputs a source's `read` hands to the later stages of its partition (typed, so a
    # reader sees who sets what): a crawl archives the image stage's responses in its WARC
    # (`response_observer(result, kind)`), and in the pages phase, asked by `share_site_fetcher`,
    # lends its own fetcher for its site's images (one budget and robots.txt per site).
    response_observer: Callable[[FetchResult, str], None] | None = None
    share_site_fetcher: bool = False
    site_fetcher: Fetcher | None = None
    # Called when the partition's stages are done (a crawl's fetcher, which the image stage
    # fetches the crawled site's images through, outlives the crawl's own generator).
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        while self.closers:
            self.closers.pop()()

    def remove_nodes(self, doc: Document, reasons: dict[int, str]) -> None:
        """Remove nodes from `doc` (``id(node)`` → reason): counted, and recorded in `doc.removed`."""
        for record in doc.remove_nodes(reasons):
            self.stats.drop(record.reason)

    def drop_document(self, doc: Document, reason: str, causes: dict[str, int] | None = None) -> None:
        """Drop a whole document: counts it, and its images, under `reason`.

        `causes` (reason → nodes it removed) says what emptied a document dropped as
        ``doc.no_text_left`` / ``doc.no_image_left``: kept in the reject's metadata, and its
        main cause is counted under the reason in the stats' ``drop_causes``.
        The images still inside a dropped document count as ``image.in_dropped_doc`` so
        the image books balance too.
        """
        if not reason.startswith("doc."):
            reason = "doc." + reason
        self.stats.drop(reason)
        if causes:
            self.stats.cause(reason, main_cause(causes))
            doc.metadata["drop_causes"] = dict(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0])))
        n_images = len(doc.images)
        if n_images:
            self.stats.drop("image.in_dropped_doc", n_images)
        if self.rejects is not None:
            doc.metadata["drop_reason"] = reason
            self.rejects(doc, reason)


def main_cause(causes: dict[str, int]) -> str:
    """The reason that removed the most nodes (ties: the alphabetically first)."""
    return min(causes.items(), key=lambda kv: (-kv[1], kv[0]))[0]
