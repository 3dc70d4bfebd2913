"""The assemble phase: one partition's pages joined with the bytes the fetch phase stored, then what needs them.

Each image without bytes takes those its fetch job got (its bucket's journal, read once per
bucket this partition uses); one that got none is dropped with the job's reason
(``image.http_404``, ``image.robots_disallowed``, ...), exactly as the image stage would have.
Then the image filters and document rules, and the partition goes to its final shards, or to
staging with its dedup keys when dedup follows.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

from builder.context import RunContext
from builder.document import Document, ImageNode
from builder.phases.hosts import bucket_of
from builder.phases.layout import fetch_dir, pages_file
from builder.phases.pages import fetch_job
from builder.phases.store import BlobStore, FetchRecord, read_journal
from builder.run_output import RunOutput
from builder.run_state import PartitionResult
from builder.stage import run_stages
from builder.tasks import AssembleTask


class Joiner:
    """An image's fetch job → its result, over the buckets a partition uses; bytes from the blob store."""

    def __init__(self, output: RunOutput) -> None:
        self.folder = fetch_dir(output)
        self.blobs = BlobStore(self.folder)
        self._buckets: dict[int, dict[tuple[str, ...], FetchRecord]] = {}

    def record(self, job: tuple[str, ...]) -> FetchRecord | None:
        bucket = bucket_of(job[0])
        if bucket not in self._buckets:
            self._buckets[bucket] = read_journal(self.folder, bucket)
        return self._buckets[bucket].get(job)

    def join(self, node: ImageNode, ctx: RunContext) -> str | None:
        """Give `node` its bytes; the drop reason instead when the fetch phase got none."""
        job = fetch_job(node.urls())
        record = self.record(job) if job else None
        if record is None or not record.ok or not record.sha256:
            return f"image.{record.reason if record is not None and record.reason else 'not_fetched'}"
        node.data = self.blobs.get(record.sha256)
        node.info.update(record.info)
        ctx.stats.count(f"image.source.{record.source}")
        if record.url is not None and record.url != job[0]:  # the preferred URL failed; a later one served
            ctx.stats.count("image.candidate_fallback")
        return None


def read_pages(output: RunOutput, partition: str, joiner: Joiner, ctx: RunContext) -> Iterator[Document]:
    """The partition's documents as the pages phase left them, every image with its bytes or dropped."""
    with gzip.open(pages_file(output, partition), "rt", encoding="utf-8") as fh:
        for line in fh:
            entry = json.loads(line)
            doc = Document.from_dict(entry["doc"])
            missing: dict[int, str] = {}
            for node, blob in zip(doc.images, entry["blobs"]):
                if blob is not None:
                    node.data = joiner.blobs.get(blob)
                elif (reason := joiner.join(node, ctx)) is not None:
                    missing[id(node)] = reason
            if missing:  # counted and recorded in doc.removed, so the root cause reaches the reject
                ctx.remove_nodes(doc, missing)
            yield doc


def assemble_partition(task: AssembleTask) -> PartitionResult:
    config, output = task.config, task.output
    from builder.partition_tasks import PHASE_BUILD, filter_stages, finish_build, reject_sink, run_guarded

    def body() -> PartitionResult:
        ctx = RunContext(config, partition=task.partition, work_dir=output.work_dir)
        rejects, reject_files = reject_sink(output, f"{task.partition}-assemble", config)
        ctx.rejects = rejects
        _, after = filter_stages(config)
        docs = run_stages(after, read_pages(output, task.partition, Joiner(output), ctx), ctx)
        return finish_build(output, task.partition, docs, ctx, after, reject_files, task.staged)

    return run_guarded(task.partition, PHASE_BUILD, body)
