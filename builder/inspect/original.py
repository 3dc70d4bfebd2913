"""The page a document was extracted from, found again through its provenance.

A page read from a WARC is one record at ``warc_offset`` of ``warc_file``: the viewer reads
that record (and checks it is the one recorded, by its ``WARC-Record-ID``). A local HTML
file is read from ``file``. Remote archives (``https://``, ``s3://``) are not fetched: the
viewer prints the ranged request that gets the record instead.

The HTML is shown as text, never rendered: it is a crawled page, and rendering it on the
viewer's origin would hand it the viewer.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from builder.extract.decode import decode_html

MAX_SHOWN_BYTES = 4 * 1024 * 1024  # a page larger than this is cut (extraction caps pages near here too)
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz", ".xhtml.gz")


@dataclass
class Original:
    label: str  # "WARC record" or "original HTML"
    location: str  # where it was read from, for the page heading
    warc_headers: list[tuple[str, str]] = field(default_factory=list)
    http_status: str = ""
    http_headers: list[tuple[str, str]] = field(default_factory=list)
    html: str = ""
    raw: bytes = b""  # the payload as stored (for /raw)
    truncated: bool = False
    error: str = ""  # why it could not be shown
    fetch_hint: str = ""  # for a remote archive: the command that fetches the record


def _is_remote(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def _local_path(name: str, out_dir: Path) -> Path:
    path = Path(name.removeprefix("file://"))
    if path.is_absolute():
        return path
    # crawl sources archive under the output folder; other relative paths were given from the cwd
    for candidate in (out_dir / path, Path.cwd() / path):
        if candidate.exists():
            return candidate
    return out_dir / path


def original_label(provenance: Any) -> str | None:
    """What the document page links to ("WARC record", "original HTML"), or None when nothing is recorded."""
    if not isinstance(provenance, dict):
        return None
    if isinstance(provenance.get("warc_file"), str) and isinstance(provenance.get("warc_offset"), int):
        return "WARC record"
    if isinstance(provenance.get("file"), str) and provenance["file"].lower().endswith(HTML_SUFFIXES):
        return "original HTML"
    return None


def read_original(provenance: Any, out_dir: Path, max_bytes: int = MAX_SHOWN_BYTES) -> Original | None:
    """The page behind a document's provenance, or None when the provenance names none."""
    label = original_label(provenance)
    if label is None:
        return None
    if label == "WARC record":
        return _read_warc(provenance, out_dir, max_bytes)
    return _read_file(str(provenance["file"]), out_dir, max_bytes)


def _read_warc(prov: dict[str, Any], out_dir: Path, max_bytes: int) -> Original:
    name, offset = str(prov["warc_file"]), int(prov["warc_offset"])
    length = prov.get("warc_length")
    result = Original("WARC record", f"{name} at byte {offset:,}")
    if _is_remote(name):
        end = f"{offset + int(length) - 1}" if isinstance(length, int) and length > 0 else ""
        gunzip = " | gunzip" if name.endswith(".gz") else ""
        result.fetch_hint = f"curl -s -r {offset}-{end} '{name}'{gunzip}"
        result.error = "this record lives in a remote archive; the viewer does not fetch it"
        return result
    path = _local_path(name, out_dir)
    if not path.is_file():
        result.error = f"{path}: archive not found (moved, or read on another machine)"
        return result
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh, arc2warc=True)), None)
            if record is None:
                result.error = f"no record at byte {offset:,} of {path}"
                return result
            wanted = prov.get("warc_record_id")
            found = record.rec_headers.get_header("WARC-Record-ID")
            if isinstance(wanted, str) and found and found != wanted:
                result.error = f"the record at byte {offset:,} is {found}, not {wanted}: the archive changed"
                return result
            result.warc_headers = list(record.rec_headers.headers)
            if record.http_headers is not None:
                result.http_status = record.http_headers.statusline or ""
                result.http_headers = list(record.http_headers.headers)
            payload = record.content_stream().read(max_bytes + 1)
    except (OSError, ArchiveLoadFailed, ValueError, EOFError) as exc:
        result.error = f"cannot read the record: {type(exc).__name__}: {exc}"
        return result
    content_type = record.http_headers.get_header("Content-Type") if record.http_headers is not None else None
    _set_body(result, payload, max_bytes, content_type)
    return result


def _read_file(name: str, out_dir: Path, max_bytes: int) -> Original:
    path = _local_path(name, out_dir)
    result = Original("original HTML", str(path))
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1) if not path.name.lower().endswith(".gz") else b""
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as gz:
                raw = gz.read(max_bytes + 1)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        result.error = f"cannot read {path}: {exc}"
        return result
    _set_body(result, raw, max_bytes, None)
    return result


def _set_body(result: Original, payload: bytes, max_bytes: int, content_type: str | None) -> None:
    result.truncated = len(payload) > max_bytes
    result.raw = payload[:max_bytes]
    result.html = decode_html(result.raw, content_type)
