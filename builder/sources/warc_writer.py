"""Archive HTTP exchanges as WARC/1.1 (request + response records, gzip per record) with warcio.

The body is stored as it was delivered to loom, after HTTP content decoding. As Common Crawl
does, the original ``Content-Encoding``, ``Transfer-Encoding`` and ``Content-Length`` headers
are kept under ``X-Crawler-`` names and a ``Content-Length`` of the stored body is written,
so any WARC reader gets the exact bytes without decoding them again. A response whose body
was not read (a redirect, an error, a refused content type) is archived with its headers
and ``WARC-Truncated: unspecified``.

Each record is appended (one gzip member) under a lock and the file is closed in between, so
the image stage's threads may add image responses while the crawl goes on, and even after the
crawl's pages are done; the file is a valid WARC after every record.
"""

from __future__ import annotations

import base64
import hashlib
import io
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.client import responses as REASONS
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from builder import __version__

MOVED_HEADERS = ("content-encoding", "transfer-encoding", "content-length")


@dataclass
class Exchange:
    """One request and the response it got, as the fetching layer saw them."""

    url: str
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes = b""
    body_complete: bool = True  # False: the body was not read (refused, redirect, error)
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    date: datetime | None = None


@dataclass(frozen=True)
class Written:
    """Where the response record of an exchange landed (for provenance and for reading it back)."""

    file: str
    offset: int
    length: int
    record_id: str
    date: str
    url: str = ""


def payload_digest(body: bytes) -> str:
    """``sha1:<base32>``, the WARC-Payload-Digest form warcio writes."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


def warc_date(when: datetime | None = None) -> str:
    when = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # WARC/1.1 allows sub-second precision


def _request_line(url: str) -> str:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return f"GET {target} HTTP/1.1"


def _response_headers(exchange: Exchange) -> list[tuple[str, str]]:
    headers = []
    for name, value in exchange.response_headers:
        if name.lower() in MOVED_HEADERS:
            headers.append((f"X-Crawler-{name}", value))
        else:
            headers.append((name, value))
    headers.append(("Content-Length", str(len(exchange.body))))
    return headers


class CrawlWarcWriter:
    """Appends exchanges to one ``.warc.gz`` file (created afresh); thread-safe."""

    def __init__(self, path: str | Path, software: str = f"loom/{__version__}", info: dict | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(b"")  # a partition redone after a crash starts its archive again
        self._lock = threading.Lock()
        self.records = 0
        fields = {"software": software, "format": "WARC File Format 1.1",
                  "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"}
        fields.update(info or {})
        with self._lock, open(self.path, "ab") as fh:
            writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
            self._append(fh, writer, writer.create_warcinfo_record(self.path.name, fields))

    def _append(self, fh, writer: WARCWriter, record) -> tuple[int, int]:
        start = fh.tell()
        writer.write_record(record)
        self.records += 1
        return start, fh.tell() - start

    def write(self, exchange: Exchange, revisit_of: Written | None = None) -> Written:
        """Write the request and response records; returns where the response record is.

        With `revisit_of` (an earlier response of the same URL with the same payload), the
        response is written as a ``revisit`` record (profile identical-payload-digest)
        without its body: readers skip it, so a re-read gives the page once.
        """
        with self._lock, open(self.path, "ab") as fh:
            return self._write_exchange(fh, WARCWriter(fh, gzip=True, warc_version="WARC/1.1"), exchange,
                                        revisit_of)

    def _write_exchange(self, fh, writer: WARCWriter, exchange: Exchange, revisit_of: Written | None) -> Written:
        date = warc_date(exchange.date)
        host = urlsplit(exchange.url).netloc
        req_headers = list(exchange.request_headers) or [("User-Agent", "loom")]
        if not any(k.lower() == "host" for k, _ in req_headers):
            req_headers.insert(0, ("Host", host))
        request = writer.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(_request_line(exchange.url), req_headers, is_http_request=True),
            warc_headers_dict={"WARC-Date": date},
        )
        status = f"{exchange.status} {REASONS.get(exchange.status, 'Unknown')}"
        warc_headers = {"WARC-Date": date,
                        "WARC-Concurrent-To": request.rec_headers.get_header("WARC-Record-ID")}
        if not exchange.body_complete:
            warc_headers["WARC-Truncated"] = "unspecified"
        http_headers = StatusAndHeaders(status, _response_headers(exchange), protocol="HTTP/1.1")
        if revisit_of is not None:
            response = writer.create_revisit_record(
                exchange.url, payload_digest(exchange.body), revisit_of.url, revisit_of.date,
                http_headers=http_headers, warc_headers_dict=warc_headers)
        else:
            response = writer.create_warc_record(
                exchange.url, "response", payload=io.BytesIO(exchange.body), length=len(exchange.body),
                http_headers=http_headers, warc_headers_dict=warc_headers)
        self._append(fh, writer, request)
        offset, length = self._append(fh, writer, response)
        return Written(str(self.path), offset, length, response.rec_headers.get_header("WARC-Record-ID"), date,
                       exchange.url)

    def close(self) -> None:
        """Nothing to flush: every record is on disk when `write` returns."""

    def __enter__(self) -> CrawlWarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
