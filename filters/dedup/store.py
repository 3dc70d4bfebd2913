"""The on-disk layout of the dedup work folder, and atomic folder replacement.

::

    work_dir/
      map/<partition>/        one folder per mapped partition (see mapper.py)
        meta.json             partition name, document count, MinHash parameters
        docs.parquet          per document: id, occurrence, content hash, url key, fetch time,
                              image count, text length (read by reduce for compared documents only)
        images.parquet        per image: document, ordinal, src, exact key, pHash
        signatures.npy        (documents, num_perm) uint32 MinHash signatures
        bands.keys.npy        sorted run: LSH band keys ...
        bands.docs.npy        ... and the document (row in docs.parquet) of each
        paragraphs.keys.npy   sorted run: (domain, paragraph) keys, once per document ...
        paragraphs.docs.npy   ... and their document
        urls.keys.npy         sorted run: normalized-URL keys ...
        urls.docs.npy         ... and their document
      decisions/<partition>/  what apply does to that partition (see decisions.py)
      summary.json            what reduce decided, in numbers
      .tmp-*/                 reduce's scratch runs (image identities, image sets), removed after

A folder is written under a temporary name and renamed into place, so a reader sees the
old one or the new one, never half of either; a rerun replaces it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

MAP_DIR = "map"
DECISIONS_DIR = "decisions"
SUMMARY_FILE = "summary.json"
META_FILE = "meta.json"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def partition_dirname(partition: str) -> str:
    """A file-system-safe, collision-free folder name for a partition id."""
    digest = hashlib.blake2b(partition.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()
    readable = _UNSAFE.sub("_", partition)[:80].strip("._") or "p"
    return f"{readable}-{digest}"


def new_temp_dir(parent: Path) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    tmp = parent / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    return tmp


def publish_dir(tmp: Path, final: Path) -> None:
    """Move a finished temporary folder to `final`, replacing what was there."""
    old = None
    if final.exists():
        old = final.parent / f".old-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
