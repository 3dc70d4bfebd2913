"""WARC/ARC records from any byte stream, damage-aware: the one record reader of every archive source.

A local file, a remote stream, a byte range and a crawl's own archive differ only in how the
stream is opened; all of them are read here:

    for rec in iter_records(stream, read_pages=True, max_payload=1 << 20, on_damage=damages.append):
        rec.url, rec.offset, rec.length, rec.payload ...

Framing is done here rather than by warcio, because warcio hides damage: a gzip member that
fails to inflate is written to stderr and read as empty, and a record cut short simply ends.
Here each gzip member is inflated and checked on its own (a record-per-member archive, as
every crawler writes them), each record must hold the bytes its header declares, and after
damage reading resumes at the next gzip member (or ``WARC/1.`` header in a plain archive)
that starts a clean record, as resiliparse and warcio's recompressor do. Every damaged
stretch is reported once, with its offset; warcio still parses each record's headers and
decodes its HTTP body.

Plain (uncompressed) ARC files are read by warcio as they are, without recovery.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator

from warcio.archiveiterator import ArchiveIterator

from builder.errors import SourceError

if TYPE_CHECKING:
    from builder.stats import Stats

HTML_TYPES = ("text/html", "application/xhtml+xml")
PAGE_RECORD_TYPES = ("response", "resource")
SNIFF_BYTES = 2048
GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/1."
_CHUNK = 64 * 1024
_HEADER_ROOM = 64 * 1024  # record + HTTP headers kept beyond the payload a caller wants
_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)[ \t]*\r*$", re.IGNORECASE | re.MULTILINE)
_BLANK_LINE = re.compile(rb"\n\r*\n")


@dataclass(slots=True)
class WarcRecord:
    """One record: type, URL, HTTP status and headers, where it is, and the page payload if any."""

    rec_type: str
    url: str
    content_type: str
    status: int | None
    headers: dict[str, str]
    offset: int
    length: int
    date: str | None
    record_id: str | None
    payload: bytes | None
    digest: str | None = None  # WARC-Payload-Digest
    refers_to: str | None = None  # a revisit's WARC-Refers-To-Target-URI


@dataclass(frozen=True, slots=True)
class Damage:
    """A stretch of an archive that could not be read: where it starts, why, and where reading resumed."""

    offset: int
    reason: str
    resumed_at: int | None = None  # None: nothing readable followed

    def describe(self, name: str) -> str:
        after = f"; reading resumed at offset {self.resumed_at}" if self.resumed_at is not None \
            else "; nothing after it could be read"
        return f"{name}: archive damaged at offset {self.offset}: {self.reason}{after}"


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def looks_like_html(head: bytes) -> bool:
    head = head[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def is_plausible(rec: WarcRecord) -> bool:
    """A real record, not garbage that the lenient ARC parser turned into one."""
    return rec.rec_type == "warcinfo" or "://" in rec.url or rec.url.startswith(("dns:", "urn:"))


def _read_page_payload(record, media: str, max_payload: int) -> bytes | None:
    """The payload of a record that may be a page; None when it is not HTML.

    A declared HTML type is read up to the cap; an undeclared or odd one is sniffed first,
    so a PDF or a video inside an archive costs 2 KB, not its whole size.
    """
    if media.startswith("image/"):
        return None
    stream = record.content_stream()
    if media in HTML_TYPES:
        return stream.read(max_payload + 1)
    head = stream.read(SNIFF_BYTES)
    if not looks_like_html(head):
        return None
    return head + stream.read(max_payload + 1 - len(head))


def record_from_warcio(record, offset: int, length: int, read_pages: bool, max_payload: int,
                       fallback_url: str = "") -> WarcRecord:
    """Our view of one warcio record: type, URL, HTTP status and headers, the page payload if any."""
    headers: dict[str, str] = {}
    status: int | None = None
    if record.http_headers is not None:
        headers = {k.lower(): v for k, v in record.http_headers.headers}
        code = record.http_headers.get_statuscode()
        status = int(code) if code and str(code).isdigit() else None
    rec_type = record.rec_type or "unknown"
    content_type = headers.get("content-type") or record.rec_headers.get_header("Content-Type") or ""
    payload = None
    if read_pages and rec_type in PAGE_RECORD_TYPES and status in (None, 200):
        payload = _read_page_payload(record, media_type(content_type), max_payload)
    return WarcRecord(
        rec_type=rec_type,
        url=record.rec_headers.get_header("WARC-Target-URI") or fallback_url,
        content_type=content_type,
        status=status,
        headers=headers,
        offset=offset,
        length=length,
        date=record.rec_headers.get_header("WARC-Date"),
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        payload=payload,
        digest=record.rec_headers.get_header("WARC-Payload-Digest"),
        refers_to=record.rec_headers.get_header("WARC-Refers-To-Target-URI"),
    )


def read_payload(stream: BinaryIO) -> tuple[bytes, dict[str, str]] | None:
    """The whole (decoded) payload and HTTP headers of the record that starts `stream`; None if none."""
    for record in ArchiveIterator(stream, arc2warc=True):
        headers = {k.lower(): v for k, v in record.http_headers.headers} if record.http_headers else {}
        return record.content_stream().read(), headers
    return None


def robots_origin(rec: WarcRecord) -> str | None:
    """The origin whose robots.txt answer `rec` archives (a crawl archives them), else None."""
    if rec.rec_type != "response" or rec.status is None:
        return None
    head, sep, path = rec.url.partition("://")
    host, _, rest = path.partition("/")
    if not sep or rest.split("?", 1)[0] != "robots.txt":
        return None
    return f"{head.lower()}://{host.lower()}"


# -- framing -----------------------------------------------------------------------------------


class _Damaged(Exception):
    """The bytes at the current position are not a readable record."""


class _Bytes:
    """A forward reader over a stream that knows its absolute offset, gives bytes back, and can
    return to a marked offset (the start of the record being tried) to look for the next one."""

    _MAX_KEPT = 256 << 20  # past this, a mark is dropped (no rewind) so memory stays bounded

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._at = 0  # the read cursor in _buf
        self._base = 0  # absolute offset of _buf[0]
        self._eof = False
        self._marked = False

    @property
    def pos(self) -> int:
        return self._base + self._at

    def _avail(self) -> int:
        return len(self._buf) - self._at

    def _compact(self) -> None:
        if self._at:
            del self._buf[: self._at]
            self._base += self._at
            self._at = 0

    def _fill(self, n: int) -> None:
        while self._avail() < n and not self._eof:
            if not self._marked or len(self._buf) > self._MAX_KEPT:
                self._marked = False
                self._compact()
            data = self._stream.read(max(n - self._avail(), _CHUNK))
            if not data:
                self._eof = True
            else:
                self._buf += data

    def peek(self, n: int) -> bytes:
        self._fill(n)
        return bytes(self._buf[self._at:self._at + n])

    def read(self, n: int) -> bytes:
        self._fill(n)
        out = bytes(self._buf[self._at:self._at + n])
        self._at += len(out)
        return out

    def read_some(self) -> bytes:
        return self.read(self._avail() or _CHUNK)

    def unread(self, n: int) -> None:
        """Give back the last `n` bytes read (they are still in the buffer)."""
        self._at -= n

    def mark(self) -> None:
        self._compact()
        self._marked = True

    def rewind(self, offset: int) -> None:
        """Move to `offset`: forward, or back if it is still held (after `mark`); the mark is dropped."""
        if offset >= self.pos:
            self.read(offset - self.pos)
        elif self._marked and self._base <= offset:
            self._at = offset - self._base
        self._marked = False

    def at_end(self) -> bool:
        return not self.peek(1)

    def skip_to(self, pattern: bytes) -> bool:
        """Consume bytes up to the next occurrence of `pattern`; False (all consumed) when there is none."""
        while True:
            self._fill(len(pattern))
            at = self._buf.find(pattern, self._at)
            if at >= 0:
                self._at = at
                return True
            if self._eof:
                self._at = len(self._buf)
                return False
            self._at = max(self._at, len(self._buf) - (len(pattern) - 1))
            self._fill(self._avail() + _CHUNK)


def _declared_length(head: bytes) -> tuple[int, int] | None:
    """(header bytes, content bytes) a WARC or ARC record's header declares; None when `head` is neither."""
    if head.startswith(b"WARC/"):
        blank = _BLANK_LINE.search(head)  # the header ends at the first blank line (\r\n, or odd \r\r\n)
        if blank is None:
            return None
        match = _CONTENT_LENGTH.search(head, 0, blank.start() + 1)
        return (blank.end(), int(match.group(1))) if match else None
    line_end = head.find(b"\n")
    if line_end < 0:
        return None
    fields = head[:line_end].split()
    if len(fields) >= 5 and fields[-1].isdigit() and _is_arc_line(fields):
        return line_end + 1, int(fields[-1])
    return None


def _is_arc_line(fields: list[bytes]) -> bool:
    return len(fields) >= 5 and b":" in fields[0]  # a URL (http:, dns:, filedesc:) and four more fields


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _parse(head: bytes, offset: int, length: int, read_pages: bool, max_payload: int) -> WarcRecord:
    try:
        for record in ArchiveIterator(io.BytesIO(head), arc2warc=True):
            return record_from_warcio(record, offset, length, read_pages, max_payload)
    except Exception as exc:  # noqa: BLE001 - warcio raises many kinds on garbage
        raise _Damaged(f"not a WARC/ARC record ({_first_line(exc)})") from None
    raise _Damaged("not a WARC/ARC record")


def _inflate_member(src: _Bytes, keep: int) -> tuple[bytes, int]:
    """Inflate the gzip member at the current position: (its first `keep` bytes, its inflated size)."""
    inflater = zlib.decompressobj(31)
    head = bytearray()
    total = 0
    while not inflater.eof:
        data = src.read_some()
        if not data:
            raise _Damaged("the gzip member is cut short (the archive ends inside it)")
        try:
            out = inflater.decompress(data, _CHUNK)
            while True:
                total += len(out)
                if len(head) < keep:
                    head += out[: keep - len(head)]
                if not inflater.unconsumed_tail or inflater.eof:
                    break
                out = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
        except zlib.error as exc:
            raise _Damaged(f"the gzip member does not inflate ({exc})") from None
    src.unread(len(inflater.unused_data))
    return bytes(head), total


def _gzip_records(src: _Bytes, keep: int, read_pages: bool, max_payload: int) -> list[WarcRecord]:
    start = src.pos
    if src.peek(3) != GZIP_MAGIC:
        raise _Damaged("no gzip member starts here")
    head, total = _inflate_member(src, keep)
    declared = _declared_length(head)
    if declared is None:
        raise _Damaged("the gzip member does not hold a WARC/ARC record")
    header_len, content_len = declared
    if total < header_len + content_len:
        raise _Damaged(f"the record holds {max(0, total - header_len)} of its {content_len} bytes (Content-Length)")
    length = src.pos - start
    if not head[header_len + content_len:total].strip(b"\r\n"):
        return [_parse(head, start, length, read_pages, max_payload)]
    # Several records in one member (a whole file gzipped at once): read them if the member is small.
    if total > len(head):
        raise _Damaged("one gzip member holds several records and is too large to read whole "
                       "(gzip each record on its own, as WARC files are written)")
    inner: list[Damage] = []
    records = list(iter_records(io.BytesIO(head), read_pages=read_pages, max_payload=max_payload,
                                on_damage=inner.append))
    if inner:
        raise _Damaged(f"inside a gzip member of several records: {inner[0].reason}")
    for rec in records:
        rec.offset, rec.length = start, length
    return records


def _plain_record(src: _Bytes, keep: int, read_pages: bool, max_payload: int) -> list[WarcRecord]:
    start = src.pos
    declared = _declared_length(src.peek(_HEADER_ROOM))
    if declared is None or not src.peek(5).startswith(b"WARC/"):
        raise _Damaged("no WARC record header here")
    header_len, content_len = declared
    head = bytearray(src.read(header_len))
    remaining = content_len
    while remaining:
        data = src.read(min(remaining, _CHUNK))
        if not data:
            raise _Damaged(f"the record holds {content_len - remaining} of its {content_len} bytes (Content-Length)")
        remaining -= len(data)
        if len(head) < keep:
            head += data[: keep - len(head)]
    length = src.pos - start
    while (blank := src.peek(_CHUNK)) and not blank.lstrip(b"\r\n"):  # the blank lines between records
        src.read(len(blank))
    src.read(len(blank) - len(blank.lstrip(b"\r\n")))
    return [_parse(bytes(head), start, length, read_pages, max_payload)]


def iter_records(stream: BinaryIO, *, read_pages: bool, max_payload: int,
                 on_damage: Callable[[Damage], None] | None = None) -> Iterator[WarcRecord]:
    """Every readable record of the archive in `stream`, with offsets; damage goes to `on_damage`.

    `read_pages`: read the payload of records that may be HTML pages (up to `max_payload` + 1
    bytes, so a caller can tell a larger one); other payloads are never kept.
    """
    src = _Bytes(stream)
    first = src.peek(8)
    if not first:
        return
    gzipped = first.startswith(GZIP_MAGIC)
    if not gzipped and not first.startswith(b"WARC/"):
        head = src.peek(1 << 20)
        if _is_arc_line(head.split(b"\n", 1)[0].split()):  # a plain ARC file: warcio reads it as it is
            yield from _warcio_records(src, read_pages, max_payload, on_damage)
            return
        gzipped = GZIP_MAGIC in head and WARC_MAGIC not in head  # a gzip archive damaged at its start
    keep = _HEADER_ROOM + (2 * max_payload + _HEADER_ROOM if read_pages else 0)
    read_one = _gzip_records if gzipped else _plain_record
    magic = GZIP_MAGIC if gzipped else WARC_MAGIC
    damage: Damage | None = None
    while not src.at_end():
        start = src.pos
        src.mark()
        try:
            records = read_one(src, keep, read_pages, max_payload)
        except _Damaged as exc:
            if damage is None:
                damage = Damage(start, str(exc))
            src.rewind(start + 1)  # the next record may start inside what this attempt consumed
            if not src.skip_to(magic):
                break
            continue
        src.rewind(src.pos)  # (drops the mark)
        if damage is not None:
            if on_damage is not None:
                on_damage(Damage(damage.offset, damage.reason, start))
            damage = None
        yield from records
    if damage is not None and on_damage is not None:
        on_damage(damage)


def _warcio_records(src: _Bytes, read_pages: bool, max_payload: int,
                    on_damage: Callable[[Damage], None] | None) -> Iterator[WarcRecord]:
    reader = _BytesIO(src)
    it = ArchiveIterator(reader, arc2warc=True)
    try:
        for record in it:
            # The payload is read first: warcio knows a record's length only once it was consumed.
            rec = record_from_warcio(record, 0, 0, read_pages, max_payload)
            rec.offset, rec.length = it.get_record_offset(), it.get_record_length()
            yield rec
    except Exception as exc:  # noqa: BLE001 - warcio raises many kinds on garbage
        if on_damage is not None:
            on_damage(Damage(src.pos, _first_line(exc)))


class _BytesIO(io.RawIOBase):
    def __init__(self, src: _Bytes) -> None:
        self._src = src

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        return self._src.read(n if n >= 0 else 1 << 62)

    def tell(self) -> int:
        return self._src.pos


# -- counted reading, as every archive source does it -------------------------------------------


def read_archive(stream: BinaryIO, name: str, stats: Stats, *, read_pages: bool,
                 max_payload: int) -> Iterator[WarcRecord]:
    """`iter_records`, counted: ``record.in`` per record, ``archive.damaged`` (+ an error naming the
    file and offset) per damaged stretch. Raises SourceError when nothing in it is a record, or
    when the stream fails before any record was read.
    """
    damages: list[Damage] = []
    plausible = 0
    try:
        for rec in iter_records(stream, read_pages=read_pages, max_payload=max_payload, on_damage=damages.append):
            plausible += is_plausible(rec)
            stats.count("record.in")
            yield rec
    except (OSError, SourceError) as exc:  # the stream itself failed (a connection broken for good)
        if plausible == 0:
            raise SourceError(f"{name}: cannot read archive: {exc}") from None
        damages.append(Damage(-1, f"reading stopped: {exc}"))
    if damages and plausible == 0:
        raise SourceError(f"{name}: cannot read archive: {damages[0].reason}")
    for damage in damages:
        stats.count("archive.damaged")
        stats.error(damage.describe(name) if damage.offset >= 0 else f"{name}: archive damaged: {damage.reason}")
