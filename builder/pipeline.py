"""A run: sources → extract → filters → images → filters → (dedup) → shards, per partition.

Per-partition work is a module-level function so any executor (processes, Ray) can run it.
Without deduplication a partition goes straight to its final shards. With it, the run has
three phases: *build* writes each partition's documents to staging shards and maps them to
dedup keys; *reduce* decides, in the driver, what is a duplicate; *dedup* applies the
decisions partition by partition and writes the final shards. Every phase of every
partition commits a completion record, so a rerun resumes where a crash stopped it.
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
from builder.run_state import STATE_DIR, PartitionResult, RunState
from builder.shards.format import STATS_NAME
from builder.shards.manifest import write_json_atomic, write_manifest
from builder.shards.reader import read_documents
from builder.shards.writer import ShardInfo, ShardWriter
from builder.sources import Partition, build_sources, plan_partitions
from builder.sources.errors import SourceError
from builder.stats import Stats

log = logging.getLogger(__name__)

PHASE_BUILD = "build"
PHASE_DEDUP = "dedup"
STAGING_DIR = f"{STATE_DIR}/staging"
DEDUP_DIR = f"{STATE_DIR}/dedup"
REJECTS_DIR = "rejects"


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


def _reject_sink(out_dir: Path, prefix: str, config: LoomConfig) -> tuple[Any, ShardWriter | None]:
    if not config.shards.keep_rejects:
        return None, None
    _clear_partition_files(out_dir / REJECTS_DIR, prefix)
    writer = ShardWriter(out_dir / REJECTS_DIR, prefix, config.shards.max_samples, config.shards.max_bytes)

    def sink(doc: Document, reason: str) -> None:
        # Images dropped before their bytes were fetched cannot be members; keep their URLs.
        unfetched = [n.src for n in doc.images if n.data is None]
        if unfetched:
            doc.nodes = [n for n in doc.nodes if not (isinstance(n, ImageNode) and n.data is None)]
            doc.metadata["unfetched_images"] = unfetched
        doc.metadata["drop_reason"] = reason
        if not writer.has_key(doc.id):
            writer.write(doc)

    return sink, writer


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


def _clear_partition_files(folder: Path, prefix: str) -> None:
    """Remove shards an interrupted earlier attempt left behind; the partition is redone whole."""
    for stray in folder.glob(f"{prefix}-[0-9]*.tar*"):
        stray.unlink()


def _run_guarded(partition_id: str, phase: str, body: Any) -> PartitionResult:
    """Run one partition phase; a failure costs that partition only and is reported."""
    try:
        return body()
    except SourceError as exc:
        message = str(exc)
    except Exception as exc:  # a bug or an unexpected input must not stop the other partitions
        log.exception("partition %s failed", partition_id)
        message = f"partition {partition_id}: {type(exc).__name__}: {exc}"
    stats = Stats()
    stats.count("partition.failed")
    stats.error(message)
    return PartitionResult(partition_id, phase, stats=stats, error=message)


def build_partition(config: LoomConfig, partition: Partition, out_dir: Path, staged: bool) -> PartitionResult:
    """Source → extract → stages → shards (final, or staging when dedup follows)."""

    def body() -> PartitionResult:
        from builder.extract.stage import ExtractStage

        target = out_dir / STAGING_DIR if staged else out_dir
        _clear_partition_files(target, partition.id)
        ctx = RunContext(config, partition=partition.id, work_dir=out_dir / STATE_DIR)
        rejects, reject_writer = _reject_sink(out_dir, partition.id, config)
        ctx.rejects = rejects
        source = build_sources(config)[partition.source_index]
        docs: Iterator[Document] = ExtractStage(config.extract)(source.read(partition, ctx), ctx)
        docs = _with_stable_keys(docs)
        stages = document_stages(config)
        for stage in stages:
            docs = stage(docs, ctx)
        writer = ShardWriter(target, partition.id, config.shards.max_samples, config.shards.max_bytes)
        try:
            if staged:  # the dedup phase counts what finally goes out
                for doc in docs:
                    writer.write(doc)
            else:
                write_documents(docs, writer, ctx)
            shards = writer.close()
        except BaseException:
            writer.abort()
            raise
        finally:
            for stage in stages:
                if hasattr(stage, "close"):
                    stage.close()
            if reject_writer is not None:
                reject_writer.close()
        if staged:
            from filters.dedup import DedupPasses

            DedupPasses(config.dedup, out_dir / DEDUP_DIR).map_partition(
                partition.id, read_documents_from(target, shards))
        result = PartitionResult(partition.id, PHASE_BUILD, shards, ctx.stats)
        RunState(out_dir).commit(result)
        return result

    return _run_guarded(partition.id, PHASE_BUILD, body)


def _with_stable_keys(docs: Iterable[Document]) -> Iterator[Document]:
    for doc in docs:
        doc.id = _stable_key(doc)
        yield doc


def read_documents_from(folder: Path, shards: list[ShardInfo]) -> Iterator[Document]:
    for shard in shards:
        yield from read_documents(folder / shard.name)


def dedup_partition(config: LoomConfig, built: PartitionResult, out_dir: Path) -> PartitionResult:
    """Staging shards → dedup decisions applied → final shards."""

    def body() -> PartitionResult:
        from filters.dedup import DedupPasses

        _clear_partition_files(out_dir, built.partition)
        ctx = RunContext(config, partition=built.partition, work_dir=out_dir / STATE_DIR)
        rejects, reject_writer = _reject_sink(out_dir, f"{built.partition}-dedup", config)
        ctx.rejects = rejects
        passes = DedupPasses(config.dedup, out_dir / DEDUP_DIR)
        docs = passes.apply(read_documents_from(out_dir / STAGING_DIR, built.shards), ctx)
        with ShardWriter(out_dir, built.partition, config.shards.max_samples, config.shards.max_bytes) as writer:
            write_documents(docs, writer, ctx)
        if reject_writer is not None:
            reject_writer.close()
        result = PartitionResult(built.partition, PHASE_DEDUP, writer.shards, ctx.stats)
        RunState(out_dir).commit(result)
        return result

    return _run_guarded(built.partition, PHASE_DEDUP, body)


# ---------------------------------------------------------------- the driver


@dataclass
class RunSummary:
    out_dir: Path
    stats: Stats
    shards: list[ShardInfo]
    partitions: int
    failed: list[str] = field(default_factory=list)
    resumed: int = 0
    seconds: float = 0.0

    @property
    def samples(self) -> int:
        return sum(s.samples for s in self.shards)


def prepare_output(config: LoomConfig, out_dir: Path, overwrite: bool) -> RunState:
    """Claim the output folder; refuse one that holds a run of another config."""
    state = RunState(out_dir)
    public = config.to_public_dict()
    if overwrite and out_dir.exists():
        shutil.rmtree(out_dir)
    owner = state.owner_config()
    if owner is not None and owner != public:
        raise ConfigError(
            f"{out_dir} holds a run made with another config; use --overwrite to replace it, "
            "or another --out"
        )
    if owner is None and out_dir.exists() and any(out_dir.iterdir()):
        raise ConfigError(f"{out_dir} is not empty and is not a loom output; choose another --out")
    state.claim(public)
    return state


def run_pipeline(config: LoomConfig, out_dir: str | Path, *, overwrite: bool = False,
                 progress: Any = None) -> RunSummary:
    """Run the whole pipeline into `out_dir`, resuming a previous run of the same config there."""
    started = time.monotonic()
    out_dir = Path(out_dir)
    if not config.sources:
        raise ConfigError("the config lists no sources")
    state = prepare_output(config, out_dir, overwrite)
    partitions = plan_partitions(config)
    staged = config.dedup.enabled
    executor = build_executor(config.executor)
    results: list[PartitionResult] = []
    todo = []
    for part in partitions:
        if state.is_done(part.id, PHASE_BUILD):
            results.append(state.load(part.id, PHASE_BUILD))
        else:
            todo.append((config, part, out_dir, staged))
    if progress is not None:
        progress.start(len(partitions))
        for result in results:
            progress.update(result)
    try:
        for result in executor.map_unordered(build_partition, todo):
            results.append(result)
            if progress is not None:
                progress.update(result)
        built = [r for r in results if r.error is None]
        final = built
        if staged:
            final = _run_dedup(config, out_dir, state, executor, built, progress)
    finally:
        executor.close()
        if progress is not None:
            progress.close()

    stats = Stats()
    for result in results:
        stats.merge(result.stats)
    if staged:
        for result in final:
            stats.merge(result.stats)
    shards = [s for r in final if r.error is None for s in r.shards]
    write_manifest(out_dir, shards, config.to_public_dict())
    failed = [r.partition for r in results + (final if staged else []) if r.error is not None]
    summary_stats = stats.to_dict()
    summary_stats["partitions"] = {"total": len(partitions), "failed": failed}
    write_json_atomic(out_dir / STATS_NAME, summary_stats)
    return RunSummary(out_dir, stats, shards, len(partitions), failed,
                      resumed=sum(r.skipped for r in results), seconds=time.monotonic() - started)


def _run_dedup(config: LoomConfig, out_dir: Path, state: RunState, executor: Any,
               built: list[PartitionResult], progress: Any) -> list[PartitionResult]:
    from filters.dedup import DedupPasses

    DedupPasses(config.dedup, out_dir / DEDUP_DIR).reduce()
    final: list[PartitionResult] = []
    todo = []
    for result in built:
        if state.is_done(result.partition, PHASE_DEDUP):
            final.append(state.load(result.partition, PHASE_DEDUP))
        else:
            todo.append((config, result, out_dir))
    for result in executor.map_unordered(dedup_partition, todo):
        final.append(result)
    return final
