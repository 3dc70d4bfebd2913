"""Stable 64-bit keys for URLs, paragraphs and images.

Every key comes from blake2b, never from Python's `hash()` (salted per process), so a
document gets the same keys in any worker, on any executor, in any partition.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

import numpy as np

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SPACES = re.compile(r"\s+")
# Fetch times that cannot be read sort before every real one.
NO_TIME = np.iinfo(np.int64).min


def stable_hash64(text: str) -> int:
    """An unsigned 64-bit key of `text`, the same in every process."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def normalize_url(url: str) -> str:
    """The URL as dedup compares it: scheme and host lower-cased, default port and fragment dropped."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return url.strip()
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        netloc = f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def url_domain(url: str) -> str:
    """The host a paragraph's repeats are counted within (``www.`` dropped)."""
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def normalize_paragraph(text: str) -> str:
    """Case, Unicode form and whitespace do not make a paragraph different."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


def paragraph_key(domain: str, text: str) -> int:
    return stable_hash64(domain + "\x00" + normalize_paragraph(text))


def image_exact_key(src: str, info: dict) -> int:
    """Identity of an image's bytes when known (sha256), else of its URL."""
    sha = info.get("sha256")
    if isinstance(sha, str) and sha:
        return stable_hash64("sha256:" + sha.lower())
    return stable_hash64("src:" + normalize_url(src))


def parse_phash(value: object) -> int | None:
    """The 64-bit pHash from ImageHash's hex string; None when absent or not 64 bits."""
    if not isinstance(value, str) or len(value) != 16:
        return None
    try:
        return int(value, 16)
    except ValueError:
        return None


def fetched_micros(value: object) -> int:
    """An ISO 8601 fetch time as microseconds since the epoch (UTC); NO_TIME when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return int(NO_TIME)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return int(NO_TIME)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
