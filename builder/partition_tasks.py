"""What an executor runs for one partition: build, dedup reduce, dedup apply; each ends with its commit.

Module-level functions of one typed task (`builder.tasks`), so any executor (processes, Ray)
can ship them to a worker. Each returns a `PartitionResult`; a failure costs that partition
only and comes back as a result with `error` set. The driver that plans and resumes them is `builder.pipeline`.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, document_key
from builder.errors import SourceError
from builder.executors.base import Executor
from builder.executors.reporting import LiveCounter
from builder.run_output import RunOutput, ShardSink, clear_local_shards, discard_shards
from builder.run_state import STATE_DIR, PartitionResult, RunState
from builder.shards.reader import read_documents
from builder.shards.writer import ShardInfo, ShardWriter
from builder.sources import build_sources
from builder.stage import Stage, close_stages, run_stages
from builder.stats import Stats
from builder.tasks import ApplyTask, BuildTask, ReduceTask

log = logging.getLogger(__name__)

PHASE_BUILD = "build"
PHASE_DEDUP = "dedup"
REDUCE_RECORD = f"{STATE_DIR}/reduced.json"  # the partitions the committed dedup decisions cover
REJECTS_DIR = "rejects"


def filter_stages(config: LoomConfig) -> tuple[list[Stage], list[Stage]]:
    """(stages before the image bytes are needed, stages after) per the config's filters."""
    if not config.filters.enabled:
        return [], []
    from filters.stage import build_filter_stages

    return build_filter_stages(config.filters)


def document_stages(config: LoomConfig) -> list[Stage]:
    """The per-document stages after extraction when nothing is fetched (images disabled): the
    filters. Images are fetched by one path only, the fetch phase (`builder.phases`)."""
    before_fetch, after_fetch = filter_stages(config)
    return [*before_fetch, *after_fetch]


def _stable_key(doc: Document) -> str:
    """Stable across runs: the URL plus the content's identity (payload digest) or where the record sits.

    A crawl archives its responses in fetch order, which timing decides; the payload digest
    is the same in every crawl of the same content and when its WARC is read back.
    """
    prov = doc.provenance
    where = ""
    if prov is not None and prov.payload_digest:
        where = prov.payload_digest
    elif prov is not None and prov.warc_file:
        where = f"{Path(prov.warc_file).name}:{prov.warc_offset}"
    elif prov is not None and prov.file:  # local pages may share a URL (one --url for many files)
        where = prov.file
    elif prov is not None and prov.source:
        where = prov.source
    return document_key(doc.url, where)


def staging_dir(output: RunOutput) -> Path:
    return output.work_dir / "staging"


def dedup_dir(output: RunOutput) -> Path:
    return output.work_dir / "dedup"


def reject_sink(output: RunOutput, prefix: str, config: LoomConfig) -> tuple[Any, ShardSink | None]:
    if not config.shards.keep_rejects:
        return None, None
    sink_files = ShardSink(output, REJECTS_DIR, prefix, config.shards.max_samples, config.shards.max_bytes)
    writer = sink_files.writer
    per_reason = config.shards.rejects_per_reason
    kept: dict[str, int] = {}

    def sink(doc: Document, reason: str) -> None:
        # A bounded sample: the first N of each reason in this partition (0: all of them).
        if per_reason and kept.get(reason, 0) >= per_reason:
            return
        # Images dropped before their bytes were fetched stay in place, URL-only (no member).
        doc.metadata["drop_reason"] = reason
        if not writer.has_key(doc.id):
            kept[reason] = kept.get(reason, 0) + 1
            writer.write(doc)

    return sink, sink_files


def drop_unfetched_images(doc: Document, ctx: RunContext) -> Document:
    """Images no source had bytes for cannot go in a shard as members: removed, with their reason.

    With ``images.enabled: false`` nothing is fetched and every image stays, URL-only.
    """
    if ctx.config.images.enabled:
        ctx.remove_nodes(doc, {id(n): "image.not_fetched" for n in doc.images if n.data is None})
    return doc


def write_documents(docs: Iterable[Document], writer: ShardWriter, ctx: RunContext) -> None:
    """Write documents to shards, counting what goes out (documents, images, tokens)."""
    from builder.card.tokens import TokenCounter, count_document_tokens

    counter = TokenCounter(ctx.config.card)
    for doc in docs:
        doc = drop_unfetched_images(doc, ctx)
        tokens = count_document_tokens(doc, counter)  # in the sample's metadata.tokens
        writer.write(doc)
        ctx.stats.count("doc.out")
        ctx.stats.count("image.out", len(doc.images))
        ctx.stats.count("tokens.text", tokens["text"])
        ctx.stats.count("tokens.image", tokens["image"])


def failed_result(partition_id: str, phase: str, message: str) -> PartitionResult:
    stats = Stats()
    stats.count("partition.failed")
    stats.error(message)
    return PartitionResult(partition_id, phase, stats=stats, error=message)


def run_guarded(partition_id: str, phase: str, body: Any) -> PartitionResult:
    """Run one partition phase; a failure costs that partition only and is reported."""
    try:
        return body()
    except SourceError as exc:
        message = str(exc)
    except Exception as exc:  # a bug or an unexpected input must not stop the other partitions
        log.exception("partition %s failed", partition_id)
        message = f"partition {partition_id}: {type(exc).__name__}: {exc}"
    return failed_result(partition_id, phase, message)


def live(docs: Iterable[Document], counter: LiveCounter) -> Iterator[Document]:
    for doc in docs:
        counter.tick()
        yield doc


def close_all(stages: list[Stage], rejects: ShardSink | None, failed: bool) -> None:
    close_stages(stages)
    if rejects is not None:
        if failed:
            rejects.abort()
        else:
            rejects.close()


def _write_final(output: RunOutput, partition_id: str, docs: Iterable[Document], ctx: RunContext,
                 on_done: Callable[[bool], None]) -> list[ShardInfo]:
    """Write a partition's final shards, discarding them on failure; `on_done(failed)` always runs."""
    config = ctx.config
    sink = ShardSink(output, "", partition_id, config.shards.max_samples, config.shards.max_bytes)
    failed = True
    try:
        write_documents(docs, sink.writer, ctx)
        shards = sink.close()
        failed = False
    finally:
        if failed:
            sink.abort()
        on_done(failed)
    return shards


def build_partition(task: BuildTask) -> PartitionResult:
    """Source → extract → filters → shards (final, or staging when dedup follows); then the commit.
    A run without images (`images.enabled: false`); with images, `builder.phases` runs instead."""
    config, partition, output, staged = task.config, task.partition, task.output, task.staged

    def body() -> PartitionResult:
        from builder.extract.stage import ExtractStage

        ctx = RunContext(config, partition=partition.id, work_dir=output.work_dir)
        rejects, reject_files = reject_sink(output, partition.id, config)
        ctx.rejects = rejects
        source = build_sources(config)[partition.source_index]
        docs: Iterator[Document] = ExtractStage(config.extract)(source.read(partition, ctx), ctx)
        docs = with_stable_keys(docs)
        stages = document_stages(config)
        return finish_build(output, partition.id, run_stages(stages, docs, ctx), ctx, stages, reject_files, staged)

    return run_guarded(partition.id, PHASE_BUILD, body)


def finish_build(output: RunOutput, partition_id: str, docs: Iterable[Document], ctx: RunContext,
                 stages: list[Stage], reject_files: ShardSink | None, staged: bool) -> PartitionResult:
    """A partition's documents to shards (final, or staging + dedup keys when dedup follows); then the commit."""
    config = ctx.config
    docs = live(docs, LiveCounter(partition_id, ctx.stats))
    if staged:  # the dedup phase counts what finally goes out
        folder = staging_dir(output)
        clear_local_shards(folder, partition_id)
        writer = ShardWriter(folder, partition_id, config.shards.max_samples, config.shards.max_bytes)
        failed = True
        try:
            for doc in docs:
                writer.write(drop_unfetched_images(doc, ctx))
            shards = writer.close()
            failed = False
        finally:
            if failed:
                discard_shards(writer)
            close_all(stages, reject_files, failed)
        from filters.dedup import DedupPasses

        DedupPasses(config.dedup, dedup_dir(output)).map_partition(
            partition_id, read_documents_from(folder, shards))
    else:
        shards = _write_final(output, partition_id, docs, ctx,
                              lambda failed: close_all(stages, reject_files, failed))
    result = PartitionResult(partition_id, PHASE_BUILD, shards, ctx.stats)
    RunState(output).commit(result)
    return result


def with_stable_keys(docs: Iterable[Document]) -> Iterator[Document]:
    seen: set[str] = set()
    for doc in docs:
        key = base = _stable_key(doc)
        n = 1
        while key in seen:  # the same content at the same URL twice (two captures): keep both, in order
            n += 1
            key = document_key(base, str(n))
        seen.add(key)
        doc.id = key
        yield doc


def read_documents_from(folder: Path, shards: list[ShardInfo]) -> Iterator[Document]:
    for shard in shards:
        yield from read_documents(folder / shard.name)


def reduce_dedup(task: ReduceTask, executor: Executor) -> None:
    """The global dedup decisions over the mapped `task.partitions`: each reduce step's key-bucket (or
    partition) tasks spread over the executor, then its small merge here; committed task by task, so
    a rerun resumes; then the reduce record. Raises when a task fails."""
    from filters.dedup.reduce import mapped_partitions, merge_reduce, plan_reduce, reduce_bucket

    config, output, partitions = task.config, task.output, list(task.partitions)

    keep = set(partitions)
    for mapped in mapped_partitions(dedup_dir(output)):
        if mapped.name not in keep:  # mapped by an attempt that never committed: not in the output
            shutil.rmtree(mapped.folder, ignore_errors=True)
    try:
        plan = plan_reduce(config.dedup, dedup_dir(output), partitions)
        for step in plan.steps:
            for _ in executor.map_unordered(reduce_bucket, [t for t in step.tasks if not t.done()]):
                pass
            merge_reduce(plan, step)
    except Exception as exc:
        log.exception("dedup reduce failed")
        raise RuntimeError(f"dedup reduce failed: {type(exc).__name__}: {exc}") from exc
    output.write_json(REDUCE_RECORD, {"partitions": partitions})


def dedup_partition(task: ApplyTask) -> PartitionResult:
    """Staging shards → dedup decisions applied → final shards; then the commit."""
    config, built, output = task.config, task.built, task.output

    def body() -> PartitionResult:
        from filters.dedup import DedupPasses

        ctx = RunContext(config, partition=built.partition, work_dir=output.work_dir)
        rejects, reject_files = reject_sink(output, f"{built.partition}-dedup", config)
        ctx.rejects = rejects
        passes = DedupPasses(config.dedup, dedup_dir(output))
        docs = passes.apply(read_documents_from(staging_dir(output), built.shards), ctx)
        docs = live(docs, LiveCounter(built.partition, ctx.stats))
        shards = _write_final(output, built.partition, docs, ctx,
                              lambda failed: close_all([], reject_files, failed))
        result = PartitionResult(built.partition, PHASE_DEDUP, shards, ctx.stats)
        RunState(output).commit(result)
        return result

    return run_guarded(built.partition, PHASE_DEDUP, body)
