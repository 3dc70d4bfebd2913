"""A content-addressed cache of fetched image bytes on disk.

Layout under the root: ``blobs/ab/abcdef…`` holds bytes named by their sha256, and
``urls/12/1234…`` (named by the sha256 of the URL) holds the sha256 of that URL's bytes.
The same bytes behind many URLs are stored once. Files are written to a temporary name
and renamed, so concurrent writers and crashes never leave a partial file behind; a blob
whose content no longer matches its name is ignored.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ImageCache:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _url_path(self, url: str) -> Path:
        key = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / "urls" / key[:2] / key

    def _blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / digest[:2] / digest

    def get(self, url: str) -> bytes | None:
        try:
            digest = self._url_path(url).read_text(encoding="ascii").strip()
            data = self._blob_path(digest).read_bytes()
        except (OSError, ValueError):
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            return None  # damaged on disk: fetch again
        return data

    def put(self, url: str, data: bytes) -> str:
        """Store `data` for `url`; returns its sha256."""
        digest = hashlib.sha256(data).hexdigest()
        blob = self._blob_path(digest)
        if not blob.exists():
            _atomic_write(blob, data)
        _atomic_write(self._url_path(url), digest.encode("ascii"))
        return digest
