"""What the fetch phase keeps: image bytes by content (once per sha256) and, per bucket, a journal of results.

Layout under ``<work>/fetch``::

    blobs/ab/<sha256>          the stored (decoded, re-encoded) bytes of an image, once per content
    index/<bucket>.jsonl       one line per image fetch job (its candidate URLs) done by that bucket's task

A journal line is appended only after its blob is in place, so a line is a commit: a task
killed mid-bucket leaves every finished job committed, and its rerun skips them. The one
task of a bucket is the journal's only writer; a line torn by a kill is cut off on reopen.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO


@dataclass(frozen=True)
class FetchRecord:
    """The result of one image's fetch job (its candidate URLs): the stored bytes' sha256, or why none."""

    job: tuple[str, ...]  # the URLs tried in order (`builder.phases.pages.fetch_job`)
    url: str | None = None  # the one whose bytes these are
    sha256: str | None = None
    reason: str | None = None
    source: str = "http"  # http, cache
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.sha256 is not None and self.reason is None

    def to_json(self) -> bytes:
        return json.dumps({**asdict(self), "job": list(self.job)}, sort_keys=True).encode()

    @classmethod
    def from_json(cls, line: bytes) -> FetchRecord:
        data = json.loads(line)
        data["job"] = tuple(data["job"])
        return cls(**data)


class BlobStore:
    """Content-addressed bytes: a blob is written once (atomically) and never changes."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder) / "blobs"

    def path(self, sha256: str) -> Path:
        return self.folder / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self.path(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{sha}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return sha

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()


def journal_path(folder: Path, bucket: int) -> Path:
    return Path(folder) / "index" / f"{bucket:04d}.jsonl"


def read_journal(folder: Path, bucket: int) -> dict[tuple[str, ...], FetchRecord]:
    """The committed results of a bucket (a torn last line is not a commit)."""
    path = journal_path(folder, bucket)
    records: dict[tuple[str, ...], FetchRecord] = {}
    if not path.is_file():
        return records
    with open(path, "rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                break
            try:
                record = FetchRecord.from_json(line)
            except (ValueError, TypeError, KeyError):
                continue
            records[record.job] = record
    return records


class Journal:
    """Appends a bucket's results; each line flushed as it is written (the OS has it if we are killed)."""

    def __init__(self, folder: Path, bucket: int) -> None:
        path = journal_path(folder, bucket)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: BinaryIO = open(path, "a+b")  # noqa: SIM115 - closed in close()
        self._cut_torn_tail()

    def _cut_torn_tail(self) -> None:
        fh = self._fh
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return
        fh.seek(max(0, size - 65536))
        tail = fh.read()
        if tail.endswith(b"\n"):
            return
        cut = tail.rfind(b"\n")
        fh.truncate(size - len(tail) + cut + 1 if cut >= 0 else max(0, size - len(tail)))
        fh.seek(0, os.SEEK_END)

    def append(self, record: FetchRecord) -> None:
        self._fh.write(record.to_json() + b"\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()
