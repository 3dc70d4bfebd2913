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

from warcio.archiveiterator import ArchiveIterator

from builder.context import RunContext
from builder.errors import SourceError
from builder.images.archive_index import ArchiveImageIndex
from builder.sources.page import Page
from builder.sources.partition import Partition, partition_id
from builder.sources.remote import RemoteError, RemoteReader, expand_remote, is_remote, url_name
from builder.sources.warc import _is_plausible, _iter_records, _media_type

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
            data = self.reader.read_range(self.url, *found.location)
            for record in ArchiveIterator(io.BytesIO(data), arc2warc=True):
                headers = {k.lower(): v for k, v in record.http_headers.headers} if record.http_headers else {}
                return record.content_stream().read(), headers
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
    n_read = 0
    try:
        for rec in _checked_records(url, reader, archive, source.loom_config.extract.max_page_bytes, ctx):
            n_read += 1
            page = source._to_page(rec, url, source.loom_config.extract.max_page_bytes,  # type: ignore[arg-type]
                                   ctx.stats)
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


def _checked_records(url: str, reader: RemoteReader, archive: RemoteImageArchive, max_bytes: int,
                     ctx: RunContext) -> Iterator:
    """The archive's records, images indexed as they pass; damage is counted as for a local archive."""
    stats = ctx.stats
    n_records = n_plausible = end = 0
    with reader.open(url) as stream:
        records = _iter_records(url, read_pages=True, max_payload=max_bytes, stream=stream)
        while True:
            try:
                rec = next(records)
            except StopIteration:
                break
            except Exception as exc:  # damage, or a connection that broke for good
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                if n_plausible == 0:
                    raise SourceError(f"{url}: cannot read archive: {reason}") from None
                stats.count("archive.damaged")
                stats.error(f"{url}: archive damaged after {n_records} records ({reason}); "
                            "the records before the damage were used")
                return
            n_records += 1
            n_plausible += _is_plausible(rec)
            end = rec.offset + rec.length
            stats.count("record.in")
            if archive.add(rec.rec_type, rec.url, _media_type(rec.content_type), rec.status, rec.offset,
                           rec.length, rec.digest, rec.refers_to):
                stats.count("archive.images_indexed")
            yield rec
        # As for a local archive: bytes after the last whole record mean it was cut short.
        size = getattr(getattr(stream, "raw", stream), "size", None)
        if n_records and isinstance(size, int) and size - end > 16:
            stats.count("archive.damaged")
            stats.error(f"{url}: archive damaged after {n_records} records "
                        f"({size - end} trailing bytes are not a complete record); "
                        "the records before the damage were used")
