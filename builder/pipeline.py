"""A run: sources → extract → filters → images → filters → (dedup) → shards, per partition.

The driver: it claims the output, plans the partitions, skips those an earlier run committed,
hands the rest to an executor (`builder.partition_tasks` is what runs per partition), and
writes the manifest and the merged stats. Without deduplication a partition goes straight to
its final shards. With it, the run has three phases: *build* writes each partition's
documents to staging shards and maps them to dedup keys; *reduce* decides what is a duplicate,
in key-bucket tasks and a small merge after each of its steps; *dedup* applies the decisions
partition by partition and writes the final shards. Every phase of every partition (and every
reduce task) commits a completion record, so a rerun resumes where a crash stopped it. The
output is a local folder or an fsspec URL (`builder.run_output`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.card.tokens import token_totals
from builder.config import LoomConfig
from builder.errors import ConfigError, OutputError
from builder.executors import build_executor
from builder.executors.base import Executor
from builder.executors.local import default_workers
from builder.output_guard import check_output_location, clear_for_overwrite, remove_stale_temporaries
from builder.partition_tasks import (
    PHASE_BUILD,
    PHASE_DEDUP,
    REDUCE_RECORD,
    build_partition,
    dedup_partition,
    failed_result,
    reduce_dedup,
    staging_dir,
)
from builder.progress import NoProgress, Progress
from builder.run_output import RunOutput
from builder.run_state import PartitionResult, RunState
from builder.shards.format import MANIFEST_NAME, STATS_NAME
from builder.shards.manifest import build_manifest
from builder.shards.writer import ShardInfo
from builder.sources import Partition, plan_partitions
from builder.stats import Stats
from builder.tasks import ApplyTask, BuildTask, ReduceTask

log = logging.getLogger(__name__)

# Config sections that change how a run is executed, not what it produces.
EXECUTION_ONLY = ("executor",)


@dataclass
class RunSummary:
    out_dir: Path  # the output folder; for an fsspec URL output, its work folder on this machine
    stats: Stats
    shards: list[ShardInfo]
    partitions: int
    failed: list[str] = field(default_factory=list)
    resumed: int = 0
    seconds: float = 0.0
    output: str = ""  # where the shards are: the folder, or the URL

    @property
    def samples(self) -> int:
        return sum(s.samples for s in self.shards)

    @property
    def is_local(self) -> bool:
        return "://" not in self.output or self.output.startswith("file://")


def output_config(config: LoomConfig) -> dict[str, Any]:
    """The config as it decides the output: what the manifest records and what resuming must match."""
    public = config.to_public_dict()
    for key in EXECUTION_ONLY:
        public.pop(key, None)
    return public


def prepare_output(config: LoomConfig, output: RunOutput, overwrite: bool) -> RunState:
    """Claim the output; refuse one that holds a run of another config."""
    state = RunState(output)
    public = output_config(config)
    if overwrite:  # only a loom output, and only loom's files in it (builder/output_guard.py)
        clear_for_overwrite(output)
        state.claim(public)
        return state
    owner = state.owner_config()
    if owner is not None:
        for key in EXECUTION_ONLY:  # outputs written before these keys were set aside
            owner.pop(key, None)
    if owner is not None and owner != public:
        raise OutputError(
            f"{output} holds a run made with another config; use --overwrite to replace it, "
            "or another --out"
        )
    if owner is None and not output.is_empty():
        raise OutputError(f"{output} is not empty and is not a loom output; choose another --out")
    state.claim(public)
    return state


def run_pipeline(config: LoomConfig, out_dir: str | Path, *, overwrite: bool = False,
                 progress: Progress | None = None) -> RunSummary:
    """Run the whole pipeline into `out_dir` (a folder or an fsspec URL), resuming a run of the same config there."""
    started = time.monotonic()
    output = RunOutput.of(out_dir, config.executor.work_dir)
    if not config.sources:
        raise ConfigError("the config lists no sources")
    if output.in_process_only and (config.executor.type != "local" or default_workers(config.executor.workers) > 1):
        raise ConfigError(f"{output} lives in this process only: workers could not write to it; "
                          "use executor type local with workers: 1 (--workers 1)")
    check_output_location(output)
    with RunState(output).exclusive():
        remove_stale_temporaries(output.work_dir)  # what a killed run left half-written (we hold the lock)
        return _run_claimed(config, output, overwrite, progress or NoProgress(), started)


def _run_claimed(config: LoomConfig, output: RunOutput, overwrite: bool, progress: Progress,
                 started: float) -> RunSummary:
    state = prepare_output(config, output, overwrite)
    partitions = plan_partitions(config)
    staged = config.dedup.enabled
    order = {p.id: i for i, p in enumerate(partitions)}
    executor = build_executor(config.executor)
    built: dict[str, PartitionResult] = {}
    todo: list[Partition] = []
    # Staging shards matter only while some dedup work remains (it may redo every partition).
    all_applied = staged and all(state.is_done(p.id, PHASE_DEDUP) for p in partitions)
    for part in partitions:
        if state.is_done(part.id, PHASE_BUILD) and _still_usable(state, output, part.id, staged and not all_applied):
            built[part.id] = state.load(part.id, PHASE_BUILD)
        else:
            todo.append(part)
    final: dict[str, PartitionResult] = {}
    side: list[PartitionResult] = []  # pages and fetch results: their stats count too
    try:
        if config.images.enabled:  # images to fetch: pages → fetch (per host bucket) → assemble
            from builder.phases.run import run_image_phases

            assembled, side = run_image_phases(config, output, state, executor, partitions, todo, staged, progress)
            built.update(assembled)
        else:  # nothing to fetch: one task per partition does it all
            progress.start(len(partitions), desc="build" if staged else "loom")
            for result in built.values():
                progress.update(result)
            tasks = [BuildTask(config, part, output, staged) for part in todo]
            for result in executor.map_unordered(build_partition, tasks, on_progress=progress.live,
                                                 on_failure=_build_failure):
                built[result.partition] = result
                progress.update(result)
        if staged:
            final = _run_dedup(config, output, state, executor, built, progress)
    finally:
        executor.close()
        progress.close()

    by_order = sorted(built.values(), key=lambda r: order.get(r.partition, len(order)))
    stats = Stats()
    for result in [*side, *by_order]:
        stats.merge(result.stats)
    finished = by_order
    if staged:
        finished = sorted(final.values(), key=lambda r: order.get(r.partition, len(order)))
        for result in finished:
            stats.merge(result.stats)
    shards = [s for r in finished if r.error is None for s in r.shards]
    output.write_json(MANIFEST_NAME, build_manifest(shards, output_config(config), token_totals(stats, config)))
    failed = sorted({r.partition for r in list(built.values()) + list(final.values()) if r.error is not None},
                    key=lambda p: order.get(p, len(order)))
    summary_stats = stats.to_dict()
    summary_stats["partitions"] = {"total": len(partitions), "failed": failed}
    output.write_json(STATS_NAME, summary_stats)
    # A partition counts as resumed when any of its phases was reused (a build kept while dedup is redone too).
    resumed = len({p for p, r in built.items() if r.skipped} | {p for p, r in final.items() if r.skipped})
    local_dir = output.local_dir if output.is_local else output.work_dir
    return RunSummary(local_dir, stats, shards, len(partitions), failed, resumed=resumed,
                      seconds=time.monotonic() - started, output=output.url())


def _build_failure(task: BuildTask, message: str) -> PartitionResult:
    """A build task whose worker died: reported as that partition's failure."""
    return failed_result(task.name, PHASE_BUILD, f"partition {task.name}: {message}")


def _apply_failure(task: ApplyTask, message: str) -> PartitionResult:
    return failed_result(task.name, PHASE_DEDUP, f"partition {task.name}: {message}")


def _still_usable(state: RunState, output: RunOutput, partition: str, needs_staging: bool) -> bool:
    """A committed build is usable unless the dedup phase still needs its staging shards and they are gone."""
    if not needs_staging:
        return True
    record = state.load(partition, PHASE_BUILD)
    if all((staging_dir(output) / s.name).exists() for s in record.shards):
        return True
    log.warning("partition %s: staging shards are gone; building it again", partition)
    state.forget(partition, PHASE_BUILD)
    return False


def _run_dedup(config: LoomConfig, output: RunOutput, state: RunState, executor: Executor,
               built: dict[str, PartitionResult], progress: Progress) -> dict[str, PartitionResult]:
    ok = sorted(p for p, r in built.items() if r.error is None)
    rebuilt = any(not built[p].skipped for p in ok)  # its dedup keys are new: decide again
    if rebuilt or _reduced_partitions(output) != ok:
        # New decisions make every partition applied with the old ones stale. Order matters for a
        # crash in between: the reduce record goes first, so a rerun repeats all of this.
        output.remove(REDUCE_RECORD)
        for partition in ok:
            if state.is_done(partition, PHASE_DEDUP):
                state.forget(partition, PHASE_DEDUP)
        reduce_dedup(ReduceTask(config, output, tuple(ok)), executor)
    final: dict[str, PartitionResult] = {}
    todo = []
    progress.start(len(ok), desc="dedup")
    for partition in ok:
        if state.is_done(partition, PHASE_DEDUP):
            final[partition] = state.load(partition, PHASE_DEDUP)
            progress.update(final[partition])
        else:
            todo.append(ApplyTask(config, built[partition], output))
    for result in executor.map_unordered(dedup_partition, todo, on_progress=progress.live,
                                         on_failure=_apply_failure):
        final[result.partition] = result
        progress.update(result)
    return final


def _reduced_partitions(output: RunOutput) -> list[str] | None:
    """The partitions the committed dedup decisions cover; None before any."""
    return output.read_json(REDUCE_RECORD)["partitions"] if output.exists(REDUCE_RECORD) else None
