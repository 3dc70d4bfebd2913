"""Where a run writes: a local folder, or any fsspec URL (``file://``, ``s3://``, ``memory://`` ...).

A local output is written in place (shards renamed into place, JSON replaced atomically).
Any other output is written through fsspec: shards are built in a local scratch folder and
uploaded whole (one PUT per object on object stores, so a reader never sees half a shard);
the per-partition work state that must be a local folder (staging shards, dedup keys) goes
to `work_dir`, which on a multi-machine cluster must be a folder every machine sees.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from builder.shards.manifest import write_json_atomic
from builder.shards.writer import ShardInfo, ShardWriter


@dataclass(frozen=True)
class RunOutput:
    """The output location of a run; cheap to pickle (workers rebuild the filesystem)."""

    location: str
    work_root: str | None = None  # local folder for staging/dedup state of a non-local output

    @classmethod
    def of(cls, location: str | Path, work_root: str | None = None) -> RunOutput:
        text = str(location)
        if "://" not in text:  # a plain path: absolute, so workers in other folders agree
            text = str(Path(text).expanduser().resolve())
        return cls(text, work_root)

    @cached_property
    def _fs_and_root(self) -> tuple[Any, str]:
        fs, root = fsspec.core.url_to_fs(self.location)
        return fs, root.rstrip("/") or "/"

    @property
    def fs(self) -> Any:
        return self._fs_and_root[0]

    @property
    def root(self) -> str:
        return self._fs_and_root[1]

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    @property
    def in_process_only(self) -> bool:
        """`memory://`: other processes (workers) cannot see it."""
        protocols = self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        return "memory" in protocols

    @property
    def local_dir(self) -> Path:
        """The output folder on this machine (local outputs only)."""
        if not self.is_local:
            raise ValueError(f"{self.location} is not a local folder")
        return Path(self.root)

    @property
    def work_dir(self) -> Path:
        """A local folder for state that tools need as files: inside the output when it is local."""
        if self.is_local:
            return self.local_dir / "_loom"
        base = Path(self.work_root).expanduser() if self.work_root else Path(tempfile.gettempdir()) / "loom-work"
        digest = hashlib.sha1(self.location.encode()).hexdigest()[:12]
        return base / digest

    def __str__(self) -> str:
        return self.location

    def __getstate__(self) -> dict[str, Any]:  # ship the location, not a live filesystem
        return {"location": self.location, "work_root": self.work_root}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)

    # ------------------------------------------------------------ files under the root

    def path(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def url(self, rel: str = "") -> str:
        """A location a user can open: a path for local outputs, a URL otherwise."""
        if self.is_local:
            return str(self.local_dir / rel) if rel else str(self.local_dir)
        return f"{self.location.rstrip('/')}/{rel}" if rel else self.location

    def exists(self, rel: str = "") -> bool:
        return bool(self.fs.exists(self.path(rel)))

    def is_empty(self) -> bool:
        if not self.exists():
            return True
        return not self.fs.ls(self.root, detail=False)

    def read_json(self, rel: str) -> Any:
        with self.fs.open(self.path(rel), "rb") as fh:
            return json.loads(fh.read().decode("utf-8"))

    def write_json(self, rel: str, data: Any) -> None:
        """Replace `rel` whole: a rename locally, one PUT on object stores."""
        if self.is_local:
            target = self.local_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(target, data)
            return
        payload = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        self.fs.makedirs(self.path(rel).rsplit("/", 1)[0], exist_ok=True)
        self.fs.pipe_file(self.path(rel), payload)

    def list_names(self, rel: str) -> list[str]:
        """Names of the files directly inside folder `rel` (empty when it does not exist)."""
        if not self.exists(rel):
            return []
        return sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self.path(rel), detail=False))

    def remove(self, rel: str) -> None:
        if self.exists(rel):
            self.fs.rm(self.path(rel))

    def upload(self, local: Path, rel: str) -> None:
        """Copy a finished local file to `rel` (non-local outputs)."""
        parent = self.path(rel).rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        self.fs.put_file(os.fspath(local), self.path(rel))


def _shard_name_re(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(prefix)}-\d{{5,}}\.tar(\.tmp)?$")


def clear_local_shards(folder: Path, prefix: str) -> None:
    """Remove the shards (and half-written ones) of `prefix` an interrupted attempt left in `folder`."""
    pattern = _shard_name_re(prefix)
    for stray in folder.glob(f"{glob.escape(prefix)}-*"):
        if pattern.match(stray.name):
            stray.unlink(missing_ok=True)


def discard_shards(writer: ShardWriter) -> None:
    """Abort a writer and delete the shards it already finished."""
    writer.abort()
    for shard in writer.shards:
        (writer.out_dir / shard.name).unlink(missing_ok=True)


class ShardSink:
    """Shards of one partition, landing in folder `rel_dir` of the output.

    A local output gets them in place (ShardWriter renames each finished shard into place);
    any other output gets each finished shard uploaded from a scratch folder on `close`.
    Whatever an earlier, interrupted attempt of the same partition left is removed first.
    """

    def __init__(self, output: RunOutput, rel_dir: str, prefix: str, max_samples: int, max_bytes: int) -> None:
        self.output = output
        self.rel_dir = rel_dir.strip("/")
        self._scratch: Path | None = None
        if output.is_local:
            folder = output.local_dir / self.rel_dir
            clear_local_shards(folder, prefix)
        else:
            pattern = _shard_name_re(prefix)
            for name in output.list_names(self.rel_dir):
                if pattern.match(name):
                    output.remove(f"{self.rel_dir}/{name}" if self.rel_dir else name)
            self._scratch = folder = Path(tempfile.mkdtemp(prefix="loom-shards-"))
        self.writer = ShardWriter(folder, prefix, max_samples, max_bytes)

    def close(self) -> list[ShardInfo]:
        shards = self.writer.close()
        if self._scratch is not None:
            try:
                for shard in shards:
                    rel = f"{self.rel_dir}/{shard.name}" if self.rel_dir else shard.name
                    self.output.upload(self._scratch / shard.name, rel)
            finally:
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None
        return shards

    def abort(self) -> None:
        """After a failure: nothing of this attempt stays (the partition has no record, it is redone whole)."""
        discard_shards(self.writer)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
