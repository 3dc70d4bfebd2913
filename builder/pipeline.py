"""A run: sources → extract → filters → images → filters → (dedup) → shards, per partition.

Per-partition work is a module-level function so any executor (processes, Ray) can run it.
Without deduplication a partition goes straight to its final shards. With it, the run has
three phases: *build* writes each partition's documents to staging shards and maps them to
dedup keys; *reduce* decides, in one task, what is a duplicate; *dedup* applies the
decisions partition by partition and writes the final shards. Every phase of every
partition commits a completion record, so a rerun resumes where a crash stopped it.

The output is a local folder or an fsspec URL (see `builder.run_output`).
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from builder.config import ConfigError, LoomConfig
from builder.context import RunContext
from builder.document import Document, ImageNode, document_key
from builder.executors import build_executor
from builder.executors.local import default_workers
from builder.executors.reporting import LiveCounter
from builder.run_output import RunOutput, ShardSink, clear_local_shards, discard_shards
from builder.run_state import STATE_DIR, PartitionResult, RunState
from builder.shards.format import MANIFEST_NAME, STATS_NAME
from builder.shards.manifest import build_manifest
from builder.shards.reader import read_documents
from builder.shards.writer import ShardInfo, ShardWriter
from builder.sources import Partition, build_sources, plan_partitions
from builder.sources.errors import SourceError
from builder.stats import Stats

log = logging.getLogger(__name__)

PHASE_BUILD = "build"
PHASE_DEDUP = "dedup"
PHASE_REDUCE = "reduce"
REDUCE_PARTITION = "dedup-reduce"  # how the reduce step is named in results and messages
REDUCE_RECORD = f"{STATE_DIR}/reduced.json"  # the partitions the committed dedup decisions cover
STAGING_DIR = f"{STATE_DIR}/staging"  # of a local output; elsewhere under RunOutput.work_dir
DEDUP_DIR = f"{STATE_DIR}/dedup"
REJECTS_DIR = "rejects"
# Config sections that change how a run is executed, not what it produces.
EXECUTION_ONLY = ("executor",)


# ---------------------------------------------------------------- per-partition work


def document_stages(config: LoomConfig) -> list[Any]:
    """The per-document stages after extraction, in order."""
    stages: list[Any] = []
    before_fetch: list[Any] = []
    after_fetch: list[Any] = []
    if config.filters.enabled:
        from filters.stage import build_filter_stages

        before_fetch, after_fetch = build_filter_stages(config.filters)
    stages.extend(before_fetch)
    if config.images.enabled:
        from builder.images.stage import ImageStage

        stages.append(ImageStage(config.images))
    stages.extend(after_fetch)
    return stages


def _stable_key(doc: Document) -> str:
    """Unique across the corpus and stable across runs: the URL plus where the record sits."""
    prov = doc.provenance
    where = ""
    if prov is not None and prov.warc_file:
        where = f"{Path(prov.warc_file).name}:{prov.warc_offset}"
    elif prov is not None and prov.source:
        where = prov.source
    return document_key(doc.url, where)


def staging_dir(output: RunOutput) -> Path:
    return output.work_dir / "staging"


def dedup_dir(output: RunOutput) -> Path:
    return output.work_dir / "dedup"


def _reject_sink(output: RunOutput, prefix: str, config: LoomConfig) -> tuple[Any, ShardSink | None]:
    if not config.shards.keep_rejects:
        return None, None
    sink_files = ShardSink(output, REJECTS_DIR, prefix, config.shards.max_samples, config.shards.max_bytes)
    writer = sink_files.writer

    def sink(doc: Document, reason: str) -> None:
        # Images dropped before their bytes were fetched cannot be members; keep their URLs.
        unfetched = [n.src for n in doc.images if n.data is None]
        if unfetched:
            doc.nodes = [n for n in doc.nodes if not (isinstance(n, ImageNode) and n.data is None)]
            doc.metadata["unfetched_images"] = unfetched
        doc.metadata["drop_reason"] = reason
        if not writer.has_key(doc.id):
            writer.write(doc)

    return sink, sink_files


def write_documents(docs: Iterable[Document], writer: ShardWriter, ctx: RunContext) -> None:
    """Write documents to shards, counting what goes out; images without bytes cannot go in a shard."""
    for doc in docs:
        missing = [n for n in doc.images if n.data is None]
        if missing:
            doc.nodes = [n for n in doc.nodes if not (isinstance(n, ImageNode) and n.data is None)]
            ctx.stats.drop("image.not_fetched", len(missing))
        writer.write(doc)
        ctx.stats.count("doc.out")
        ctx.stats.count("image.out", len(doc.images))


def failed_result(partition_id: str, phase: str, message: str) -> PartitionResult:
    stats = Stats()
    stats.count("partition.failed")
    stats.error(message)
    return PartitionResult(partition_id, phase, stats=stats, error=message)


def _run_guarded(partition_id: str, phase: str, body: Any) -> PartitionResult:
    """Run one partition phase; a failure costs that partition only and is reported."""
    try:
        return body()
    except SourceError as exc:
        message = str(exc)
    except Exception as exc:  # a bug or an unexpected input must not stop the other partitions
        log.exception("partition %s failed", partition_id)
        message = f"partition {partition_id}: {type(exc).__name__}: {exc}"
    return failed_result(partition_id, phase, message)


def _live(docs: Iterable[Document], counter: LiveCounter) -> Iterator[Document]:
    for doc in docs:
        counter.tick()
        yield doc


def _close_all(stages: list[Any], rejects: ShardSink | None, failed: bool) -> None:
    for stage in stages:
        if hasattr(stage, "close"):
            stage.close()
    if rejects is not None:
        if failed:
            rejects.abort()
        else:
            rejects.close()


def build_partition(config: LoomConfig, partition: Partition, output: RunOutput | str | Path,
                    staged: bool) -> PartitionResult:
    """Source → extract → stages → shards (final, or staging when dedup follows); then the commit."""
    output = output if isinstance(output, RunOutput) else RunOutput.of(output)

    def body() -> PartitionResult:
        from builder.extract.stage import ExtractStage

        ctx = RunContext(config, partition=partition.id, work_dir=output.work_dir)
        rejects, reject_files = _reject_sink(output, partition.id, config)
        ctx.rejects = rejects
        source = build_sources(config)[partition.source_index]
        docs: Iterator[Document] = ExtractStage(config.extract)(source.read(partition, ctx), ctx)
        docs = _with_stable_keys(docs)
        stages = document_stages(config)
        for stage in stages:
            docs = stage(docs, ctx)
        docs = _live(docs, LiveCounter(partition.id, ctx.stats))
        max_samples, max_bytes = config.shards.max_samples, config.shards.max_bytes
        failed = True
        if staged:  # the dedup phase counts what finally goes out
            folder = staging_dir(output)
            clear_local_shards(folder, partition.id)
            writer = ShardWriter(folder, partition.id, max_samples, max_bytes)
            try:
                for doc in docs:
                    writer.write(doc)
                shards = writer.close()
                failed = False
            finally:
                if failed:
                    discard_shards(writer)
                _close_all(stages, reject_files, failed)
            from filters.dedup import DedupPasses

            DedupPasses(config.dedup, dedup_dir(output)).map_partition(
                partition.id, read_documents_from(folder, shards))
        else:
            sink = ShardSink(output, "", partition.id, max_samples, max_bytes)
            try:
                write_documents(docs, sink.writer, ctx)
                shards = sink.close()
                failed = False
            finally:
                if failed:
                    sink.abort()
                _close_all(stages, reject_files, failed)
        result = PartitionResult(partition.id, PHASE_BUILD, shards, ctx.stats)
        RunState(output).commit(result)
        return result

    return _run_guarded(partition.id, PHASE_BUILD, body)


def _with_stable_keys(docs: Iterable[Document]) -> Iterator[Document]:
    for doc in docs:
        doc.id = _stable_key(doc)
        yield doc


def read_documents_from(folder: Path, shards: list[ShardInfo]) -> Iterator[Document]:
    for shard in shards:
        yield from read_documents(folder / shard.name)


def reduce_dedup(config: LoomConfig, output: RunOutput, partitions: list[str]) -> PartitionResult:
    """The global dedup decisions over every mapped partition: one task (on a worker), then its record."""

    def body() -> PartitionResult:
        from filters.dedup import DedupPasses
        from filters.dedup.reduce import mapped_partitions

        keep = set(partitions)
        for mapped in mapped_partitions(dedup_dir(output)):
            if mapped.name not in keep:  # mapped by an attempt that never committed: not in the output
                shutil.rmtree(mapped.folder, ignore_errors=True)
        DedupPasses(config.dedup, dedup_dir(output)).reduce()
        output.write_json(REDUCE_RECORD, {"partitions": partitions})
        return PartitionResult(REDUCE_PARTITION, PHASE_REDUCE)

    return _run_guarded(REDUCE_PARTITION, PHASE_REDUCE, body)


def dedup_partition(config: LoomConfig, built: PartitionResult, output: RunOutput | str | Path) -> PartitionResult:
    """Staging shards → dedup decisions applied → final shards; then the commit."""
    output = output if isinstance(output, RunOutput) else RunOutput.of(output)

    def body() -> PartitionResult:
        from filters.dedup import DedupPasses

        ctx = RunContext(config, partition=built.partition, work_dir=output.work_dir)
        rejects, reject_files = _reject_sink(output, f"{built.partition}-dedup", config)
        ctx.rejects = rejects
        passes = DedupPasses(config.dedup, dedup_dir(output))
        docs = passes.apply(read_documents_from(staging_dir(output), built.shards), ctx)
        docs = _live(docs, LiveCounter(built.partition, ctx.stats))
        sink = ShardSink(output, "", built.partition, config.shards.max_samples, config.shards.max_bytes)
        failed = True
        try:
            write_documents(docs, sink.writer, ctx)
            shards = sink.close()
            failed = False
        finally:
            if failed:
                sink.abort()
            _close_all([], reject_files, failed)
        result = PartitionResult(built.partition, PHASE_DEDUP, shards, ctx.stats)
        RunState(output).commit(result)
        return result

    return _run_guarded(built.partition, PHASE_DEDUP, body)


# ---------------------------------------------------------------- the driver


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
    if overwrite:
        output.clear()
    state = RunState(output)
    public = output_config(config)
    owner = state.owner_config()
    if owner is not None:
        for key in EXECUTION_ONLY:  # outputs written before these keys were set aside
            owner.pop(key, None)
    if owner is not None and owner != public:
        raise ConfigError(
            f"{output} holds a run made with another config; use --overwrite to replace it, "
            "or another --out"
        )
    if owner is None and not output.is_empty():
        raise ConfigError(f"{output} is not empty and is not a loom output; choose another --out")
    state.claim(public)
    return state


def run_pipeline(config: LoomConfig, out_dir: str | Path, *, overwrite: bool = False,
                 progress: Any = None) -> RunSummary:
    """Run the whole pipeline into `out_dir` (a folder or an fsspec URL), resuming a run of the same config there."""
    started = time.monotonic()
    output = RunOutput.of(out_dir, config.executor.work_dir)
    if not config.sources:
        raise ConfigError("the config lists no sources")
    if output.in_process_only and (config.executor.type != "local" or default_workers(config.executor.workers) > 1):
        raise ConfigError(f"{output} lives in this process only: workers could not write to it; "
                          "use executor type local with workers: 1 (--workers 1)")
    with RunState(output).exclusive():
        return _run_claimed(config, output, overwrite, progress, started)


def _run_claimed(config: LoomConfig, output: RunOutput, overwrite: bool, progress: Any,
                 started: float) -> RunSummary:
    state = prepare_output(config, output, overwrite)
    partitions = plan_partitions(config)
    staged = config.dedup.enabled
    order = {p.id: i for i, p in enumerate(partitions)}
    executor = build_executor(config.executor)
    built: dict[str, PartitionResult] = {}
    todo = []
    # Staging shards matter only while some dedup work remains (it may redo every partition).
    all_applied = staged and all(state.is_done(p.id, PHASE_DEDUP) for p in partitions)
    for part in partitions:
        if state.is_done(part.id, PHASE_BUILD) and _still_usable(state, output, part.id, staged and not all_applied):
            built[part.id] = state.load(part.id, PHASE_BUILD)
        else:
            todo.append((config, part, output, staged))
    final: dict[str, PartitionResult] = {}
    live = progress.live if progress is not None else None
    try:
        if progress is not None:
            progress.start(len(partitions), desc="build" if staged else "loom")
            for result in built.values():
                progress.update(result)
        for result in executor.map_unordered(build_partition, todo, on_progress=live,
                                             on_failure=_task_failure):
            built[result.partition] = result
            if progress is not None:
                progress.update(result)
        if staged:
            final = _run_dedup(config, output, state, executor, built, progress)
    finally:
        executor.close()
        if progress is not None:
            progress.close()

    by_order = sorted(built.values(), key=lambda r: order.get(r.partition, len(order)))
    stats = Stats()
    for result in by_order:
        stats.merge(result.stats)
    finished = by_order
    if staged:
        finished = sorted(final.values(), key=lambda r: order.get(r.partition, len(order)))
        for result in finished:
            stats.merge(result.stats)
    shards = [s for r in finished if r.error is None for s in r.shards]
    output.write_json(MANIFEST_NAME, build_manifest(shards, output_config(config)))
    failed = sorted({r.partition for r in list(built.values()) + list(final.values()) if r.error is not None},
                    key=lambda p: order.get(p, len(order)))
    summary_stats = stats.to_dict()
    summary_stats["partitions"] = {"total": len(partitions), "failed": failed}
    output.write_json(STATS_NAME, summary_stats)
    resumed = sum(r.skipped for r in (final.values() if staged else built.values()))
    local_dir = output.local_dir if output.is_local else output.work_dir
    return RunSummary(local_dir, stats, shards, len(partitions), failed, resumed=resumed,
                      seconds=time.monotonic() - started, output=output.url())


def _task_failure(task: tuple[Any, ...], message: str) -> PartitionResult:
    """A build or dedup task whose worker died: reported as that partition's failure."""
    target = task[1]
    if isinstance(target, Partition):
        return failed_result(target.id, PHASE_BUILD, f"partition {target.id}: {message}")
    return failed_result(target.partition, PHASE_DEDUP, f"partition {target.partition}: {message}")


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


def _run_dedup(config: LoomConfig, output: RunOutput, state: RunState, executor: Any,
               built: dict[str, PartitionResult], progress: Any) -> dict[str, PartitionResult]:
    ok = sorted(p for p, r in built.items() if r.error is None)
    rebuilt = any(not built[p].skipped for p in ok)  # its dedup keys are new: decide again
    if rebuilt or _reduced_partitions(output) != ok:
        # New decisions make every partition applied with the old ones stale. Order matters for a
        # crash in between: the reduce record goes first, so a rerun repeats all of this.
        output.remove(REDUCE_RECORD)
        for partition in ok:
            if state.is_done(partition, PHASE_DEDUP):
                state.forget(partition, PHASE_DEDUP)
        for result in executor.map_unordered(reduce_dedup, [(config, output, ok)]):
            if result.error is not None:
                raise RuntimeError(f"dedup reduce failed: {result.error}")
    final: dict[str, PartitionResult] = {}
    todo = []
    if progress is not None:
        progress.start(len(ok), desc="dedup")
    for partition in ok:
        if state.is_done(partition, PHASE_DEDUP):
            final[partition] = state.load(partition, PHASE_DEDUP)
            if progress is not None:
                progress.update(final[partition])
        else:
            todo.append((config, built[partition], output))
    live = progress.live if progress is not None else None
    for result in executor.map_unordered(dedup_partition, todo, on_progress=live, on_failure=_task_failure):
        final[result.partition] = result
        if progress is not None:
            progress.update(result)
    return final


def _reduced_partitions(output: RunOutput) -> list[str] | None:
    """The partitions the committed dedup decisions cover; None before any."""
    return output.read_json(REDUCE_RECORD)["partitions"] if output.exists(REDUCE_RECORD) else None
