"""What a run has finished, in the output, so a rerun skips it: one completion record per partition and phase.

Layout inside the output (a folder or an fsspec URL)::

    _loom/run.json                        the config of the run that owns this output
    _loom/done/<partition>.<phase>.json   shards written + stats of a finished partition phase

A record is written (atomically) only after the partition's shards are all in place, so a
crash at any moment leaves either a complete partition with its record, or one that a
rerun redoes from scratch (its stray shards are removed first). The record is the commit.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any, Iterator

from builder.errors import OutputBusy
from builder.run_output import RunOutput
from builder.shards.writer import ShardInfo
from builder.stats import Stats

STATE_DIR = "_loom"
DONE_DIR = f"{STATE_DIR}/done"
RUN_RECORD = f"{STATE_DIR}/run.json"


@dataclass
class PartitionResult:
    partition: str
    phase: str
    shards: list[ShardInfo] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    error: str | None = None
    skipped: bool = False  # already done by an earlier run

    def to_dict(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "phase": self.phase,
            "shards": [s.to_dict() for s in self.shards],
            "stats": self.stats.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PartitionResult:
        return cls(
            partition=data["partition"],
            phase=data["phase"],
            shards=[ShardInfo(**s) for s in data["shards"]],
            stats=Stats.from_dict(data["stats"]),
        )


class RunState:
    def __init__(self, output: RunOutput) -> None:
        self.output = output
        self._done: set[str] | None = None  # record names, listed once per driver

    @staticmethod
    def _record_name(partition: str, phase: str) -> str:
        return f"{partition}.{phase}.json"

    def _done_names(self) -> set[str]:
        if self._done is None:
            self._done = set(self.output.list_names(DONE_DIR))
        return self._done

    def is_done(self, partition: str, phase: str) -> bool:
        return self._record_name(partition, phase) in self._done_names()

    def done_partitions(self, phase: str) -> list[str]:
        """The partitions (or other units: fetch buckets) with a record of `phase`."""
        suffix = f".{phase}.json"
        return sorted(n[: -len(suffix)] for n in self._done_names() if n.endswith(suffix))

    def load(self, partition: str, phase: str) -> PartitionResult:
        data = self.output.read_json(f"{DONE_DIR}/{self._record_name(partition, phase)}")
        result = PartitionResult.from_dict(data)
        result.skipped = True
        return result

    def commit(self, result: PartitionResult) -> None:
        name = self._record_name(result.partition, result.phase)
        self.output.write_json(f"{DONE_DIR}/{name}", result.to_dict())
        if self._done is not None:
            self._done.add(name)

    def forget(self, partition: str, phase: str) -> None:
        """Drop a record whose work can no longer be used (its staging files are gone)."""
        name = self._record_name(partition, phase)
        self.output.remove(f"{DONE_DIR}/{name}")
        if self._done is not None:
            self._done.discard(name)

    def owner_config(self) -> dict[str, Any] | None:
        return self.output.read_json(RUN_RECORD)["config"] if self.output.exists(RUN_RECORD) else None

    def claim(self, config: dict[str, Any]) -> None:
        self.output.write_json(RUN_RECORD, {"config": config})

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the output for one run at a time: a lock on the output folder itself (local outputs).

        The kernel frees it when the run ends, however it ends; no stale lock after a crash.
        """
        if not self.output.is_local:
            yield
            return
        import fcntl

        folder = self.output.local_dir
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OutputBusy(f"{self.output}: another loom run is writing to it") from None
            yield
        finally:
            os.close(fd)
