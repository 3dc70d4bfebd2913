"""Write documents into WebDataset tar shards, atomically, byte-identically on rebuild."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from builder.document import Document, ImageNode
from builder.shards.format import FIXED_MTIME, KEY_RE, member_name


@dataclass
class ShardInfo:
    name: str  # file name, relative to the output folder
    samples: int
    bytes: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def member_images(doc: Document) -> list[ImageNode]:
    """The images stored as members, in order: those with bytes (the others are URL-only)."""
    return [node for node in doc.images if node.data is not None]


def sample_json(doc: Document) -> dict[str, Any]:
    """The ``KEY.json`` member of a sample: images named by their member suffix, or by URL.

    An image without bytes (``images.enabled: false``, or a reject dropped before its
    fetch) is written URL-only: ``images[p]`` is its URL and it has no member.
    """
    index = {id(node): i for i, node in enumerate(member_images(doc))}

    def ref(_: int, node: ImageNode) -> str:
        i = index.get(id(node))
        return node.src if i is None else f"{i}.{node.ext}"

    return doc.to_dict(image_ref=ref)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ShardWriter:
    """Writes samples into ``{prefix}-{n:05d}.tar`` files, starting a new one past either limit.

    Each shard is written as ``NAME.tmp`` and renamed when complete, so a reader never sees
    a half-written shard. An image node without bytes (`ImageNode.data`) is written URL-only.
    """

    def __init__(self, out_dir: str | Path, prefix: str, max_samples: int = 1000,
                 max_bytes: int = 500 * 1024 * 1024) -> None:
        if not KEY_RE.match(prefix):
            raise ValueError(f"shard prefix must match {KEY_RE.pattern}: {prefix!r}")
        self.out_dir = Path(out_dir)
        self.prefix = prefix
        self.max_samples = max_samples
        self.max_bytes = max_bytes
        self.shards: list[ShardInfo] = []
        self._tar: tarfile.TarFile | None = None
        self._tmp_path: Path | None = None
        self._samples = 0
        self._keys: set[str] = set()

    def _open(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        name = f"{self.prefix}-{len(self.shards):05d}.tar"
        self._tmp_path = self.out_dir / (name + ".tmp")
        self._tar = tarfile.open(self._tmp_path, "w", format=tarfile.GNU_FORMAT)  # noqa: SIM115 - lives across writes
        self._samples = 0

    def _add(self, name: str, payload: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(payload)
        info.mtime = FIXED_MTIME
        info.mode = 0o644
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        assert self._tar is not None
        self._tar.addfile(info, io.BytesIO(payload))

    def has_key(self, key: str) -> bool:
        return key in self._keys

    def write(self, doc: Document) -> None:
        key = doc.id
        if not KEY_RE.match(key):
            raise ValueError(f"sample key must match {KEY_RE.pattern}: {key!r}")
        if key in self._keys:
            raise ValueError(f"duplicate sample key {key!r}")
        images = member_images(doc)
        url_only = [node for node in doc.images if node.data is None and not node.src]
        if url_only:
            raise ValueError(f"sample {key!r}: an image has neither bytes nor a URL")
        if self._tar is None:
            self._open()
        self._keys.add(key)
        payload = json.dumps(sample_json(doc), ensure_ascii=False, sort_keys=True).encode()
        self._add(member_name(key, "json"), payload)
        for i, node in enumerate(images):
            self._add(member_name(key, f"{i}.{node.ext}"), node.data or b"")
        self._samples += 1
        assert self._tar is not None and self._tar.fileobj is not None
        if self._samples >= self.max_samples or self._tar.fileobj.tell() >= self.max_bytes:
            self._finish()

    def _finish(self) -> None:
        if self._tar is None or self._tmp_path is None:
            return
        self._tar.close()
        final = self._tmp_path.with_suffix("")  # drop ".tmp"
        os.replace(self._tmp_path, final)
        self.shards.append(
            ShardInfo(final.name, self._samples, final.stat().st_size, _sha256_file(final))
        )
        self._tar = None
        self._tmp_path = None

    def close(self) -> list[ShardInfo]:
        self._finish()
        return self.shards

    def abort(self) -> None:
        """Discard the shard being written (after an error)."""
        if self._tar is not None:
            self._tar.close()
        if self._tmp_path is not None:
            self._tmp_path.unlink(missing_ok=True)
        self._tar = None
        self._tmp_path = None

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
