"""What a run has finished, on disk, so a rerun skips it: one completion record per partition and phase.

Layout inside the output folder::

    _loom/run.json                        the config of the run that owns this folder
    _loom/done/<partition>.<phase>.json   shards written + stats of a finished partition phase

A record is written (atomically) only after the partition's shards were renamed into place,
so a crash at any moment leaves either a complete partition with its record, or one that a
rerun redoes from scratch (its stray shards are removed first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.shards.manifest import write_json_atomic
from builder.shards.writer import ShardInfo
from builder.stats import Stats

STATE_DIR = "_loom"


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
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.dir = out_dir / STATE_DIR
        self.done_dir = self.dir / "done"

    def _record_path(self, partition: str, phase: str) -> Path:
        return self.done_dir / f"{partition}.{phase}.json"

    def is_done(self, partition: str, phase: str) -> bool:
        return self._record_path(partition, phase).exists()

    def load(self, partition: str, phase: str) -> PartitionResult:
        result = PartitionResult.from_dict(json.loads(self._record_path(partition, phase).read_text()))
        result.skipped = True
        return result

    def commit(self, result: PartitionResult) -> None:
        self.done_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self._record_path(result.partition, result.phase), result.to_dict())

    def owner_config(self) -> dict[str, Any] | None:
        path = self.dir / "run.json"
        return json.loads(path.read_text())["config"] if path.exists() else None

    def claim(self, config: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.dir / "run.json", {"config": config})
