"""The pages phase: one input partition read, extracted and text-filtered; image URLs listed by host bucket.

Images whose bytes need no request (inline ``data:`` URIs, the page's own archive, the disk
cache) are resolved here, archive first, and their bytes go to the blob store; every other
image keeps its node without bytes and its URLs (the image's candidates on the same site as
its first one, in preference order) go to the list of its host bucket. The documents go to
one gzip JSON-lines file; the lists, then the commit record, are written after it.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from builder.context import RunContext
from builder.document import Document
from builder.executors.reporting import LiveCounter
from builder.phases.hosts import bucket_of, host_of, registrable_domain
from builder.phases.layout import PHASE_PAGES, fetch_dir, lists_dir, pages_file
from builder.phases.store import BlobStore
from builder.run_state import PartitionResult, RunState
from builder.sources import Partition, build_sources
from builder.stage import run_stages
from builder.tasks import PagesTask


def fetch_job(urls: list[str]) -> tuple[str, ...]:
    """The URLs the fetch phase tries for one image: its candidates in the first one's bucket, in order."""
    urls = [u for u in urls if not u.startswith("data:")]
    if not urls:
        return ()
    bucket = bucket_of(urls[0])
    return tuple(u for u in urls if bucket_of(u) == bucket)


def own_sites(partition: Partition) -> Callable[[str], bool]:
    """Whether a URL is on a site a crawl partition crawls (the registrable domain of one of its seeds)."""
    domains = {registrable_domain(host_of(seed)) for seed in partition.items}
    return lambda url: registrable_domain(host_of(url)) in domains


def pages_partition(task: PagesTask) -> PartitionResult:
    config, partition, output = task.config, task.partition, task.output

    def body() -> PartitionResult:
        from builder.extract.stage import ExtractStage
        from builder.images.stage import ImageStage
        from builder.partition_tasks import close_all, filter_stages, live, reject_sink, with_stable_keys

        ctx = RunContext(config, partition=partition.id, work_dir=output.work_dir)
        ctx.share_site_fetcher = True  # a crawl's images of its own site: through its fetcher
        rejects, reject_files = reject_sink(output, partition.id, config)
        ctx.rejects = rejects
        source = build_sources(config)[partition.source_index]
        docs = with_stable_keys(ExtractStage(config.extract)(source.read(partition, ctx), ctx))
        before, _ = filter_stages(config)
        # A crawl fetches the images of the sites it crawls as it goes (one task per site; into
        # its WARC, so reading that back needs no network); all other images wait for the fetch phase.
        stages = [*before, ImageStage(config.images, network=own_sites(partition) if source.type == "crawl" else False)]
        failed = True
        try:
            docs = live(run_stages(stages, docs, ctx), LiveCounter(partition.id, ctx.stats))
            jobs = _write_pages(output, partition.id, docs, BlobStore(fetch_dir(output)))
            failed = False
        finally:
            close_all(stages, reject_files, failed)
            ctx.close()
        _write_lists(lists_dir(output), partition.id, jobs)
        result = PartitionResult(partition.id, PHASE_PAGES, stats=ctx.stats)
        RunState(output).commit(result)
        return result

    from builder.partition_tasks import run_guarded

    return run_guarded(partition.id, PHASE_PAGES, body)


def _write_pages(output, partition: str, docs: Iterable[Document], blobs: BlobStore) -> dict[int, set]:
    """Each document as a line {"doc", "blobs"}; returns the fetch jobs by bucket."""
    path = pages_file(output, partition)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    jobs: dict[int, set[tuple[str, ...]]] = {}
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=3) as fh:
        for doc in docs:
            refs: list[str | None] = []
            for node in doc.images:
                if node.data is not None:
                    refs.append(blobs.put(node.data))
                    continue
                refs.append(None)
                job = fetch_job(node.urls())
                if job:
                    jobs.setdefault(bucket_of(job[0]), set()).add(job)
            fh.write(json.dumps({"doc": doc.to_dict(), "blobs": refs}, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return jobs


def _write_lists(folder: Path, partition: str, jobs: dict[int, set[tuple[str, ...]]]) -> None:
    """One file per bucket with this partition's jobs; the folder appears whole (renamed into place)."""
    final = folder / partition
    tmp = folder / f".{partition}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for bucket, bucket_jobs in jobs.items():
        lines = "".join(json.dumps(list(job)) + "\n" for job in sorted(bucket_jobs))
        (tmp / f"{bucket:04d}.jsonl").write_text(lines, encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
