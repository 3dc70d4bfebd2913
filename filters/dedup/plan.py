"""The sharded reduce's plan: steps of tasks, each task a key bucket or a partition, each committed on its own.

Passes depend on each other (each sees only the documents the ones before kept), so the
reduce is a short sequence of steps. A step is a list of independent tasks — one per key
bucket (keys are uniform hashes: bucket b holds the keys in [b·2⁶⁴/N, (b+1)·2⁶⁴/N) of every
pass) or one per partition — followed by a small merge in the driver. A task writes its
result folder under a temporary name and renames it into place: a folder that exists is
committed, and a rerun skips it. The plan is fixed by the partitions (and the map output
each has), the config and the bucket count; a plan that differs starts the reduce over.

::

    work_dir/reduce/
      plan.json                the plan: partitions (name, folder, offset, documents), buckets, config
      <step>/task-<i>/         a committed task's result
      <step>/merged/           the committed merge of that step
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from builder.errors import LoomError
from filters.dedup.config import DedupConfig
from filters.dedup.store import MAP_DIR, META_FILE, read_json, write_json

REDUCE_DIR = "reduce"
PLAN_FILE = "plan.json"
MERGED = "merged"
AUTO_BUCKET_DOCUMENTS = 100_000  # reduce_buckets: 0 gives one bucket per this many documents

BUCKET, PARTITION, MERGE_ONLY = "bucket", "partition", "merge"


class DedupStateError(LoomError, RuntimeError):
    """The work folder does not hold what a step needs (map not run, parameters changed)."""


@dataclass(frozen=True)
class MappedPartition:
    name: str
    folder: Path
    offset: int  # global index of its first document: partitions in name order
    documents: int


@dataclass(frozen=True)
class ReduceBucketTask:
    """One task of a reduce step: a key bucket or a partition. Small, picklable: it names its plan."""

    work_dir: str
    step: str
    index: int  # the bucket, or the partition's position in the plan
    kind: str  # BUCKET or PARTITION

    @property
    def name(self) -> str:
        return f"dedup-{self.step}-{self.index}"

    @property
    def folder(self) -> Path:
        return Path(self.work_dir) / REDUCE_DIR / self.step / f"task-{self.index:05d}"

    def done(self) -> bool:
        return self.folder.is_dir()


@dataclass(frozen=True)
class ReduceStep:
    name: str
    kind: str
    tasks: list[ReduceBucketTask] = field(default_factory=list)


@dataclass
class ReducePlan:
    work_dir: Path
    config: DedupConfig
    partitions: list[MappedPartition]
    buckets: int
    steps: list[ReduceStep]

    @property
    def documents(self) -> int:
        return sum(p.documents for p in self.partitions)

    @property
    def offsets(self) -> list[int]:
        return [p.offset for p in self.partitions]

    def step_dir(self, step: str) -> Path:
        return self.work_dir / REDUCE_DIR / step

    def merged_dir(self, step: str) -> Path:
        return self.step_dir(step) / MERGED

    def merged(self, step: str) -> bool:
        return self.merged_dir(step).is_dir()

    def task_dirs(self, step: str) -> list[Path]:
        """Result folders of a step's tasks (all committed once its merge runs)."""
        return [t.folder for s in self.steps if s.name == step for t in s.tasks]

    def has_step(self, step: str) -> bool:
        return any(s.name == step for s in self.steps)


def mapped_partitions(work_dir: Path, only: Iterable[str] | None = None) -> list[MappedPartition]:
    """The mapped partitions (all, or those named in `only`), in name order, with their global offsets."""
    found = []
    map_dir = Path(work_dir) / MAP_DIR
    if map_dir.is_dir():
        for folder in map_dir.iterdir():
            if folder.name.startswith(".") or not (folder / META_FILE).is_file():
                continue
            meta = read_json(folder / META_FILE)
            found.append((meta["partition"], folder, int(meta["documents"])))
    found.sort(key=lambda item: item[0])
    if only is not None:
        wanted = set(only)
        missing = wanted - {name for name, *_ in found}
        if missing:
            raise DedupStateError(f"partitions never mapped in {work_dir}: {', '.join(sorted(missing))}")
        found = [item for item in found if item[0] in wanted]
    parts, offset = [], 0
    for name, folder, n in found:
        parts.append(MappedPartition(name, folder, offset, n))
        offset += n
    return parts


def resolve_buckets(requested: int, documents: int) -> int:
    if requested > 0:
        return requested
    return max(1, math.ceil(documents / AUTO_BUCKET_DOCUMENTS))


def step_names(config: DedupConfig) -> list[tuple[str, str]]:
    """(step, kind) in order; a pass that is off has no step."""
    steps = [("keys", BUCKET)]
    if config.images.enabled:
        steps.append(("images", BUCKET))
    if config.images.enabled or config.image_sets.enabled:
        steps.append(("image_keys", PARTITION))
    if config.image_sets.enabled:
        steps.append(("image_sets", BUCKET))
    if config.near_duplicates.enabled:
        steps.append(("near_pairs", MERGE_ONLY))  # the candidates come from "keys"
        steps.append(("near_duplicates", BUCKET))  # clusters resolved, by bucket of their root
    if config.paragraphs.enabled:
        steps.append(("paragraphs", BUCKET))
    steps.append(("write", PARTITION))
    return steps


def check_parameters(config: DedupConfig, parts: list[MappedPartition]) -> None:
    """Refuse map output made with other parameters than the reduce's (or by an older loom)."""
    near = config.near_duplicates
    want = {"ngram": near.ngram, "bands": near.bands, "rows": near.rows, "seed": near.seed}
    perceptual = {"enabled": config.perceptual.enabled, "max_distance": config.perceptual.max_distance}
    for part in parts:
        meta = read_json(part.folder / META_FILE)
        paragraphs = (meta.get("paragraphs", True), meta["paragraph_min_chars"])
        if meta.get("format") != 2:
            raise DedupStateError(f"partition {part.name!r} was mapped by an older loom; map it again")
        if meta["minhash"] != want or (
                config.paragraphs.enabled and paragraphs != (True, config.paragraphs.min_chars)) or (
                (config.images.enabled or config.image_sets.enabled) and meta["perceptual"] != perceptual):
            raise DedupStateError(
                f"partition {part.name!r} was mapped with other dedup parameters "
                f"({meta['minhash']}, paragraphs {paragraphs}, perceptual {meta['perceptual']}); "
                "map it again with the current config")
        if config.urls.enabled and not meta.get("urls", True):
            raise DedupStateError(
                f"partition {part.name!r} was mapped with dedup.urls off; map it again to dedup URLs")


def plan_reduce(config: DedupConfig, work_dir: Path, partitions: Iterable[str] | None = None,
                buckets: int | None = None) -> ReducePlan:
    """The reduce's steps and tasks; keeps what an earlier attempt of the same plan committed.

    `partitions`: the mapped partitions to decide over (all mapped ones when None).
    `buckets`: key buckets per bucket step (default: `config.reduce_buckets`, 0 = automatic).
    """
    work_dir = Path(work_dir)
    parts = mapped_partitions(work_dir, partitions)
    check_parameters(config, parts)
    n_buckets = resolve_buckets(config.reduce_buckets if buckets is None else buckets,
                                sum(p.documents for p in parts))
    fingerprint = _fingerprint(config, parts, n_buckets)
    root = work_dir / REDUCE_DIR
    plan_file = root / PLAN_FILE
    if not plan_file.is_file() or read_json(plan_file).get("fingerprint") != fingerprint:
        shutil.rmtree(root, ignore_errors=True)  # another plan's results mean nothing for this one
        root.mkdir(parents=True)
        write_json(plan_file, {"fingerprint": fingerprint, "buckets": n_buckets,
                               "partitions": [[p.name, p.folder.name, p.offset, p.documents] for p in parts],
                               "config": config.model_dump(mode="json")})
    for leftover in [*root.glob("*/.tmp-*"), *root.glob("*/.old-*")]:  # of an attempt killed mid-task
        shutil.rmtree(leftover, ignore_errors=True)
    steps = []
    for name, kind in step_names(config):
        count = 0 if kind == MERGE_ONLY else (n_buckets if kind == BUCKET else len(parts))
        steps.append(ReduceStep(name, kind, [ReduceBucketTask(str(work_dir), name, i, kind) for i in range(count)]))
    return ReducePlan(work_dir, config, parts, n_buckets, steps)


def load_plan(work_dir: str | Path) -> ReducePlan:
    """The plan a task belongs to, as `plan_reduce` wrote it (tasks read it on any worker)."""
    work_dir = Path(work_dir)
    data = read_json(work_dir / REDUCE_DIR / PLAN_FILE)
    config = DedupConfig.model_validate(data["config"])
    parts = [MappedPartition(name, work_dir / MAP_DIR / folder, offset, n)
             for name, folder, offset, n in data["partitions"]]
    steps = []
    for name, kind in step_names(config):
        count = 0 if kind == MERGE_ONLY else (data["buckets"] if kind == BUCKET else len(parts))
        steps.append(ReduceStep(name, kind, [ReduceBucketTask(str(work_dir), name, i, kind) for i in range(count)]))
    return ReducePlan(work_dir, config, parts, int(data["buckets"]), steps)


def _fingerprint(config: DedupConfig, parts: list[MappedPartition], buckets: int) -> str:
    maps = [[p.name, read_json(p.folder / META_FILE).get("map_id")] for p in parts]
    text = json.dumps({"config": config.model_dump(mode="json"), "maps": maps, "buckets": buckets}, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def plan_summary(plan: ReducePlan) -> dict[str, Any]:
    return {"documents": plan.documents, "partitions": len(plan.partitions), "buckets": plan.buckets}
