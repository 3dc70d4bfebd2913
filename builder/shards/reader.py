"""Read loom shards back as `Document`s (with image bytes) or as raw samples."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Iterable, Iterator

from builder.document import Document
from builder.shards.format import MANIFEST_NAME, split_member


def shard_paths(target: str | Path) -> list[Path]:
    """The shards of an output folder in manifest order, or the given tar files."""
    target = Path(target)
    if target.is_dir():
        manifest = target / MANIFEST_NAME
        if manifest.exists():
            names = [s["name"] for s in json.loads(manifest.read_text())["shards"]]
            return [target / name for name in names]
        return sorted(target.glob("*.tar"))
    return [target]


def iter_raw_samples(paths: Iterable[str | Path]) -> Iterator[dict[str, bytes | str]]:
    """Samples as WebDataset sees them: ``{"__key__": key, "json": b"...", "0.jpg": b"..."}``."""
    for path in paths:
        current: dict[str, bytes | str] | None = None
        with tarfile.open(path, "r:") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                key, suffix = split_member(member.name)
                fh = tar.extractfile(member)
                data = fh.read() if fh else b""
                if current is None or current["__key__"] != key:
                    if current is not None:
                        yield current
                    current = {"__key__": key, "__shard__": str(path)}
                current[suffix] = data
        if current is not None:
            yield current


def sample_to_document(sample: dict[str, bytes | str]) -> Document:
    data = json.loads(sample["json"])
    doc = Document.from_dict(data)
    refs = [ref for ref in data["images"] if ref is not None]
    for node, ref in zip(doc.images, refs):
        payload = sample.get(ref)
        node.data = payload if isinstance(payload, bytes) else None
    return doc


def read_documents(target: str | Path) -> Iterator[Document]:
    """Every document of an output folder (or one shard), with its image bytes."""
    for sample in iter_raw_samples(shard_paths(target)):
        yield sample_to_document(sample)
