"""The page a WARC record holds: what every archive source (local, remote, byte ranges) hands on."""

from __future__ import annotations

from builder.document import Provenance
from builder.sources.page import Page
from builder.sources.warc_records import PAGE_RECORD_TYPES, WarcRecord, media_type
from builder.stats import Stats


def page_from_record(rec: WarcRecord, location: str, max_bytes: int, stats: Stats, source: str = "warc") -> Page | None:
    """The page a record holds, or None with the reason counted (not a response, not HTML, ...)."""
    if rec.rec_type not in PAGE_RECORD_TYPES:
        stats.drop(f"record.{rec.rec_type}")
        return None
    if rec.status is not None and rec.status != 200:
        stats.drop("record.http_redirect" if 300 <= rec.status < 400 else "record.http_error")
        return None
    if rec.payload is None:
        media = media_type(rec.content_type)
        stats.drop("record.image" if media.startswith("image/") else "record.not_html")
        return None
    if len(rec.payload) > max_bytes:
        stats.drop("record.too_large")
        return None
    if not rec.payload[:1024].strip() and not rec.payload.strip():  # e.g. a crawl's archived refusal
        stats.drop("record.empty")
        return None
    if not rec.url:
        stats.drop("record.no_url")
        return None
    provenance = Provenance(
        url=rec.url, fetched=rec.date, source=source, warc_file=location,
        warc_offset=rec.offset, warc_length=rec.length, warc_record_id=rec.record_id,
        payload_digest=rec.digest,
    )
    return Page(rec.url, rec.payload, rec.headers, provenance, rec.status or 200)
