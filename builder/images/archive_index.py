"""The images an archive holds, found under any URL a page gives for them.

A page names a picture one way (``Mona_Lisa%2C_by.jpg``, ``//upload...``, a 2x srcset
candidate) and the crawler that archived it recorded another (``Mona_Lisa,_by.jpg``,
``https://...``, the 1x file the browser fetched). Web archives match URLs by their SURT
canonical form (pywb, CDX indexes): scheme-insensitive, host lower-cased, ``www`` and default
ports dropped, unreserved percent-escapes decoded, query arguments sorted. This index keys
archived image responses by that form, follows revisit records (a later capture that says
"same bytes as an earlier one") to the record that holds the bytes, and answers for a list
of candidate URLs with the first one it holds.

It knows nothing about how records are read: sources feed it records' facts and a location
(an offset, or an (offset, length) range) and read the bytes back themselves.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, Hashable, TypeVar

Location = TypeVar("Location", bound=Hashable)

PAGE_RECORD_TYPES = ("response", "resource")
# Types a server may give an image without saying "image/" (old CDNs, S3 defaults).
_UNTYPED = ("", "application/octet-stream", "binary/octet-stream", "application/x-octet-stream")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".bmp", ".tif", ".tiff", ".jfif")


@lru_cache(maxsize=65536)
def canonical(url: str) -> str:
    """The SURT canonical form of `url` (as pywb and CDX indexes key captures), or the URL
    lower-cased when the surt package cannot parse it."""
    import surt  # (imported here: a third of a second, paid only by runs with an archive)

    try:
        return surt.surt(url.split("#", 1)[0])
    except Exception:  # noqa: BLE001 - surt raises many types on odd URLs; fall back to the URL itself
        return url.split("#", 1)[0].lower()


def is_image_response(media_type: str, url: str) -> bool:
    """An image by its declared type, or by its URL when the type says nothing."""
    if media_type.startswith("image/"):
        return True
    if media_type not in _UNTYPED:
        return False
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    return path.endswith(_IMAGE_SUFFIXES)


@dataclass(slots=True, frozen=True)
class ArchivedImage(Generic[Location]):
    url: str  # the URL the archive recorded
    location: Location  # where the record holding the bytes is
    revisit: bool = False  # found through a revisit record


class ArchiveImageIndex(Generic[Location]):
    """Canonical URL → the archived image record; thread-safe (a remote archive grows while read)."""

    def __init__(self) -> None:
        self._by_key: dict[str, ArchivedImage[Location]] = {}
        self._by_digest: dict[str, Location] = {}
        # Revisits whose original is not indexed yet (rare: a revisit written before it), by
        # the canonical URL and the digest they refer to.
        self._waiting: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self.revisits = 0  # revisit records resolved to an earlier capture

    def __len__(self) -> int:
        return len(self._by_key)

    def add(self, rec_type: str, url: str, media_type: str, status: int | None, location: Location,
            digest: str | None = None, refers_to: str | None = None) -> bool:
        """Index one record (any type: non-images are ignored). True when it indexed an image."""
        if not url:
            return False
        if rec_type == "revisit":
            return self._add_revisit(url, digest, refers_to)
        if rec_type not in PAGE_RECORD_TYPES or status not in (None, 200):
            return False
        if not is_image_response(media_type, url):
            return False
        key = canonical(url)
        with self._lock:
            self._by_key.setdefault(key, ArchivedImage(url, location))
            if digest:
                self._by_digest.setdefault(digest, location)
            waiting = self._waiting.pop("u " + key, []) + (self._waiting.pop("d " + digest, []) if digest else [])
            for revisit_url in waiting:
                self._resolved(revisit_url, location)
        return True

    def _add_revisit(self, url: str, digest: str | None, refers_to: str | None) -> bool:
        with self._lock:
            original = self._by_key.get(canonical(refers_to)) if refers_to else None
            location = original.location if original is not None else (
                self._by_digest.get(digest) if digest else None)
            if location is not None:
                return self._resolved(url, location)
            if refers_to:
                self._waiting.setdefault("u " + canonical(refers_to), []).append(url)
            if digest:
                self._waiting.setdefault("d " + digest, []).append(url)
            return False

    def _resolved(self, url: str, location: Location) -> bool:
        key = canonical(url)
        if key in self._by_key:
            return False
        self._by_key[key] = ArchivedImage(url, location, revisit=True)
        self.revisits += 1
        return True

    def find(self, url: str) -> ArchivedImage[Location] | None:
        """The archived image recorded under `url` or any URL of the same canonical form."""
        with self._lock:
            return self._by_key.get(canonical(url))

    def find_any(self, urls: list[str]) -> tuple[str, ArchivedImage[Location]] | None:
        """(candidate, image) for the first candidate the archive holds, or None."""
        for url in urls:
            found = self.find(url)
            if found is not None:
                return url, found
        return None
