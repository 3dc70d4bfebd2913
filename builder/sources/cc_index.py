"""Common Crawl style pointers to WARC records, read as byte ranges (as the OBELICS pipeline did).

A pointer table (CSV/TSV, JSON lines, or Parquet) has one row per record: ``warc_filename``,
``warc_record_offset``, ``warc_record_length`` (or the CDX index names ``filename``,
``offset``, ``length``). The file name is joined to `prefix` (``https://data.commoncrawl.org/``
by default; any http(s) URL, fsspec URL or local folder), and only the record's bytes are
requested. Requests run on a bounded pool; pages come out in table order.

Each row is one record (``record.in``); a row whose range cannot be fetched or parsed is
dropped as ``record.range_<reason>`` / ``record.bad_pointer`` / ``record.unreadable``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from builder.context import RunContext
from builder.errors import SourceError
from builder.sources.base import Source
from builder.sources.config import CcIndexSourceConfig
from builder.sources.files import expand_paths
from builder.sources.page import Page
from builder.sources.partition import Partition, partition_id
from builder.sources.remote import RemoteError, RemoteReader, expand_remote, is_remote, url_name
from builder.sources.warc_pages import page_from_record
from builder.sources.warc_records import Damage, WarcRecord, iter_records

log = logging.getLogger(__name__)

TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".ndjson", ".parquet", ".csv.gz", ".tsv.gz", ".jsonl.gz")
COLUMNS = {  # our name -> accepted column names, in order of preference
    "filename": ("warc_filename", "filename"),
    "offset": ("warc_record_offset", "offset"),
    "length": ("warc_record_length", "length"),
    "url": ("url",),
}


@dataclass(frozen=True, slots=True)
class Pointer:
    filename: str
    offset: int
    length: int
    url: str | None = None


def is_table(path: Path) -> bool:
    return path.name.lower().endswith(TABLE_SUFFIXES)


def _column(names: list[str], key: str, table: str) -> str | None:
    for candidate in COLUMNS[key]:
        if candidate in names:
            return candidate
    if key == "url":
        return None
    raise SourceError(f"{table}: no column {' or '.join(COLUMNS[key])!s} (columns: {', '.join(names)})")


def _rows(table: str, reader: RemoteReader) -> Iterator[dict[str, Any]]:
    """Rows of a local or remote (http(s), fsspec) table, as dicts."""
    name = url_name(table).lower()
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        with reader.open_seekable(table) as handle:
            for batch in pq.ParquetFile(handle).iter_batches(batch_size=10_000):
                yield from batch.to_pylist()
        return
    with reader.open(table) as raw:
        binary = gzip.GzipFile(fileobj=raw) if name.endswith(".gz") else raw
        fh = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        if ".json" in name:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise SourceError(f"{table}:{lineno}: not JSON: {exc}") from None
        else:
            yield from csv.DictReader(fh, delimiter="\t" if ".tsv" in name else ",")


def read_pointers(table: str, reader: RemoteReader, start: int = 0,
                  stop: int | None = None) -> Iterator[Pointer | str]:
    """Pointers of rows [start, stop) of a table; a row that cannot be one gives its problem instead."""
    columns: dict[str, str | None] | None = None
    for i, row in enumerate(_rows(table, reader)):
        if stop is not None and i >= stop:
            return
        if columns is None:
            names = list(row)
            columns = {key: _column(names, key, table) for key in COLUMNS}
        if i < start:
            continue
        try:
            filename = str(row[columns["filename"]] or "").strip()
            offset, length = int(row[columns["offset"]]), int(row[columns["length"]])
        except (TypeError, ValueError, KeyError):
            yield f"{table}: row {i}: bad pointer {row!r}"
            continue
        if not filename or offset < 0 or length <= 0:
            yield f"{table}: row {i}: bad pointer {row!r}"
            continue
        url_column = columns["url"]
        yield Pointer(filename, offset, length, str(row.get(url_column) or "") or None if url_column else None)


def count_rows(table: str, reader: RemoteReader) -> int:
    if url_name(table).lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        with reader.open_seekable(table) as handle:
            return pq.ParquetFile(handle).metadata.num_rows
    return sum(1 for _ in _rows(table, reader))


def join_prefix(prefix: str, filename: str) -> str:
    """The archive's location: `filename` itself when it is a URL or an absolute path, else prefix/filename."""
    if is_remote(filename) or filename.startswith("/"):
        return filename
    return prefix.rstrip("/") + "/" + filename.lstrip("/")


def parse_record(data: bytes, pointer: Pointer, max_bytes: int) -> WarcRecord:
    """The single WARC record held in `data` (raises ValueError on garbage or a damaged record)."""
    # warcio is lenient: bytes from the middle of a record can parse as an odd ARC record.
    if not data.startswith((b"\x1f\x8b", b"WARC/", b"http://", b"https://")):
        raise ValueError("the range does not start a record (wrong or stale offset)")
    damages: list[Damage] = []
    for rec in iter_records(io.BytesIO(data), read_pages=True, max_payload=max_bytes, on_damage=damages.append):
        if damages and damages[0].offset == 0:
            break
        rec.offset, rec.length = pointer.offset, pointer.length
        rec.url = rec.url or pointer.url or ""
        return rec
    raise ValueError(damages[0].reason if damages else "no WARC record in the range")


@dataclass
class _Batch:
    """Pointers into one file read with a single range request [start, end)."""

    location: str | None  # None: a row that is not a pointer
    items: list[Pointer | str]
    start: int = 0
    end: int = 0


def merged_ranges(pointers: Iterator[Pointer | str], prefix: str, gap: int | None,
                  max_bytes: int) -> Iterator[_Batch]:
    """Consecutive pointers into the same file, at most `gap` bytes apart, as one request.

    Only neighbours in table order merge, so pages keep the table's order; a table sorted by
    (file, offset) merges wherever its records are dense.
    """
    current: _Batch | None = None
    for pointer in pointers:
        if isinstance(pointer, str):
            if current is not None:
                yield current
                current = None
            yield _Batch(None, [pointer])
            continue
        location = join_prefix(prefix, pointer.filename)
        end = pointer.offset + pointer.length
        if current is not None and gap is not None and current.location == location \
                and current.end <= pointer.offset <= current.end + gap and end - current.start <= max_bytes:
            current.items.append(pointer)
            current.end = end
            continue
        if current is not None:
            yield current
        current = _Batch(location, [pointer], pointer.offset, end)
    if current is not None:
        yield current


class CcIndexSource(Source):
    """Pages from WARC records named by pointer tables, `rows_per_partition` rows to a partition."""

    type = "cc_index"
    config_class = CcIndexSourceConfig
    config: CcIndexSourceConfig

    def _tables(self) -> list[str]:
        local = [p for p in self.config.paths if not is_remote(p)]
        tables, unmatched = expand_paths(local, self.loom_config.resolve, is_table) if local else ([], [])
        for pattern in unmatched:
            log.warning("cc_index source: %r matched no pointer table", pattern)
        remote = [p for p in self.config.paths if is_remote(p)]
        try:
            remote = expand_remote(remote, self.config.remote.storage_options) if remote else []
        except (ImportError, ValueError, OSError) as exc:
            raise SourceError(f"cc_index source: cannot list {remote}: {exc}") from None
        return [str(t) for t in tables] + remote

    def partitions(self) -> list[Partition]:
        size = self.config.rows_per_partition
        parts = []
        with RemoteReader(self.config.remote) as reader:
            for table in self._tables():
                n = count_rows(table, reader)
                identity = table if is_remote(table) else str(Path(table).resolve())
                stem = url_name(table).split(".", 1)[0]
                for start in range(0, n, size):
                    stop = min(n, start + size)
                    parts.append(Partition(partition_id(self.type, f"{identity}:{start}:{stop}", f"{stem}-{start}"),
                                           self.index, (f"{table}\t{start}\t{stop}",),
                                           f"{table} rows {start}-{stop}"))
        return parts

    def read(self, partition: Partition, ctx: RunContext) -> Iterator[Page]:
        (item,) = partition.items
        table, start, stop = item.split("\t")
        reader = RemoteReader(self.config.remote)
        max_bytes = self.max_page_bytes
        window = 4 * self.config.remote.threads
        pending: deque[tuple[_Batch, Future[bytes] | None]] = deque()
        pointers = read_pointers(table, reader, int(start), int(stop))
        batches = merged_ranges(pointers, self.config.prefix, self.config.merge_gap_bytes,
                                self.config.max_merged_bytes)
        with reader, ThreadPoolExecutor(self.config.remote.threads, thread_name_prefix="loom-range") as pool:
            exhausted = False
            while True:
                while not exhausted and len(pending) < window:
                    batch = next(batches, None)
                    if batch is None:
                        exhausted = True
                        break
                    future = None
                    if batch.location is not None:
                        future = pool.submit(reader.read_range, batch.location, batch.start, batch.end - batch.start)
                    pending.append((batch, future))
                if not pending:
                    return
                batch, future = pending.popleft()
                for pointer, data in self._payloads(batch, future, reader, ctx):
                    page = self._page(pointer, data, max_bytes, ctx)
                    if page is not None:
                        yield page

    def _payloads(self, batch: _Batch, future: Future[bytes] | None, reader: RemoteReader,
                  ctx: RunContext) -> Iterator[tuple[Pointer | str, bytes | RemoteError | None]]:
        """Each pointer of a batch with its record's bytes (or the error that prevented them)."""
        if future is None:
            yield from ((p, None) for p in batch.items)
            return
        try:
            data = future.result()
        except RemoteError as exc:
            if len(batch.items) == 1 or exc.reason not in ("short_read", "http_416"):
                yield from ((p, exc) for p in batch.items)
                return
            ctx.stats.count("cc_index.merged_range_retried")  # a bad pointer at the end: ask one by one
            for p in batch.items:
                assert isinstance(p, Pointer) and batch.location is not None
                try:
                    yield p, reader.read_range(batch.location, p.offset, p.length)
                except RemoteError as one:
                    yield p, one
            return
        if len(batch.items) > 1:
            ctx.stats.count("cc_index.merged_requests")
        for p in batch.items:
            assert isinstance(p, Pointer)
            yield p, data[p.offset - batch.start:p.offset - batch.start + p.length]

    def _page(self, pointer: Pointer | str, data: bytes | RemoteError | None, max_bytes: int,
              ctx: RunContext) -> Page | None:
        stats = ctx.stats
        stats.count("record.in")
        if data is None or isinstance(pointer, str):
            stats.drop("record.bad_pointer")
            stats.error(str(pointer))
            return None
        location = join_prefix(self.config.prefix, pointer.filename)
        if isinstance(data, RemoteError):
            stats.drop(f"record.range_{data.reason}")
            if len(stats.errors) < 100:
                stats.error(str(data))
            return None
        try:
            rec = parse_record(data, pointer, max_bytes)
        except Exception as exc:  # warcio raises many kinds on garbage: the pointer is wrong or stale
            stats.drop("record.unreadable")
            if len(stats.errors) < 100:
                stats.error(f"{location} @{pointer.offset}: not a WARC record: {exc}")
            return None
        page = page_from_record(rec, location, max_bytes, stats, source=self.type)
        if page is not None:
            stats.count("record.out")
        return page
