"""WARC/ARC archives named by URL (http(s), s3://, ...): read in one streamed pass.

A local archive is read twice (images indexed first, then pages); a remote one is read
once, as it arrives, never downloaded first. Image responses are indexed as the stream
passes them, and the image stage reads one back with a byte-range request, so a page's
images that come before it or soon after it (crawlers archive a page, then its images)
are taken from the archive instead of the live web.
"""

from __future__ import annotations

import io
import logging
from collections import deque
from typing import TYPE_CHECKING, Iterator

from builder.context import RunContext
from builder.errors import SourceError
from builder.images.archive_index import ArchiveImageIndex
from builder.net.robots import RobotsFetch
from builder.sources.page import Page
from builder.sources.partition import Partition, partition_id
from builder.sources.remote import RemoteError, RemoteReader, expand_remote, is_remote, url_name
from builder.sources.warc_pages import page_from_record
from builder.sources.warc_records import media_type, read_archive, read_payload, robots_origin

if TYPE_CHECKING:
    from builder.sources.warc import WarcSource

log = logging.getLogger(__name__)

# Records read past a page before it is handed on: crawlers archive a page's images right after it.
LOOKAHEAD_RECORDS = 64


def remote_partitions(source: WarcSource) -> list[Partition]:
    """One partition per remote archive (fsspec globs expanded)."""
    urls = [p for p in source.config.paths if is_remote(p)]
    if not urls:
        return []
    try:
        expanded = expand_remote(urls, source.config.remote.storage_options)
    except (ImportError, ValueError, OSError) as exc:
        raise SourceError(f"warc source: cannot list {urls}: {exc}") from None
    return [Partition(partition_id(source.type, url, url_name(url)), source.index, (url,), url)
            for url in expanded]


class RemoteImageArchive:
    """Image responses seen so far in a remote archive; `get` reads one back by byte range."""

    def __init__(self, reader: RemoteReader, url: str) -> None:
        self.reader = reader
        self.url = url
        self.index: ArchiveImageIndex[tuple[int, int]] = ArchiveImageIndex()
        self.robots_index: dict[str, tuple[int, int, int]] = {}  # origin -> (offset, length, status)

    def robots(self, robots_url: str) -> RobotsFetch | None:
        """The archived answer to `robots_url` seen so far (a crawl archives them)."""
        where = self.robots_index.get(robots_url.rsplit("/", 1)[0].lower())
        if where is None:
            return None
        offset, length, status = where
        try:
            found = read_payload(io.BytesIO(self.reader.read_range(self.url, offset, length)))
        except Exception as exc:  # noqa: BLE001 - a failed read: robots.txt is fetched live instead
            log.warning("%s: cannot read archived %s: %s", self.url, robots_url, exc)
            return None
        return RobotsFetch(status, found[0] if found else b"")

    def __len__(self) -> int:
        return len(self.index)

    def add(self, rec_type: str, url: str, media_type: str, status: int | None, offset: int, length: int,
            digest: str | None = None, refers_to: str | None = None) -> bool:
        """Index a record as it passes (images, and revisits of them); True for a new image."""
        return self.index.add(rec_type, url, media_type, status, (offset, length), digest, refers_to)

    def get(self, url: str) -> tuple[bytes, dict[str, str]] | None:
        found = self.index.find(url)
        if found is None:
            return None
        try:
            return read_payload(io.BytesIO(self.reader.read_range(self.url, *found.location)))
        except Exception as exc:  # a damaged record or a failed request: the image stage fetches live
            log.warning("%s: cannot read archived image %s: %s", self.url, url, exc)
        return None


def read_remote_warc(source: WarcSource, url: str, ctx: RunContext) -> Iterator[Page]:
    """Pages of the archive at `url`, counted like a local archive's (record.in/out/drops).

    A page is handed on only once `LOOKAHEAD_RECORDS` more records have been read (or the
    archive ended), so the images a crawler archived right after the page are indexed by then.
    """
    if url.lower().endswith((".lz4", ".bz2")):
        raise SourceError(f"{url}: unsupported archive compression (use .warc, .warc.gz, .arc or .arc.gz)")
    reader = RemoteReader(source.config.remote)
    archive = RemoteImageArchive(reader, url)
    ctx.image_archive = archive
    pending: deque[tuple[int, Page]] = deque()
    max_bytes = source.max_page_bytes
    n_read = 0
    try:
        with reader.open(url) as stream:
            for rec in read_archive(stream, url, ctx.stats, read_pages=True, max_payload=max_bytes):
                n_read += 1
                if archive.add(rec.rec_type, rec.url, media_type(rec.content_type), rec.status, rec.offset,
                               rec.length, rec.digest, rec.refers_to):
                    ctx.stats.count("archive.images_indexed")
                origin = robots_origin(rec)
                if origin is not None and rec.status is not None:
                    archive.robots_index.setdefault(origin, (rec.offset, rec.length, rec.status))
                page = page_from_record(rec, url, max_bytes, ctx.stats)
                if page is not None:
                    ctx.stats.count("record.out")
                    pending.append((n_read, page))
                while pending and pending[0][0] <= n_read - LOOKAHEAD_RECORDS:
                    yield pending.popleft()[1]
    except RemoteError as exc:
        raise SourceError(str(exc)) from None
    for _, page in pending:
        yield page
    # The reader stays open: the image stage may still read archived images through it.
