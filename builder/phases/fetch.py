"""The fetch phase: one host bucket's URLs, each fetched once per run, by the only task that talks to those hosts.

All URLs of a registrable domain are in one bucket (`builder.phases.hosts`) and a bucket is
one task, so this task's `Fetcher` (its per-host limiter, its robots.txt cache, its
Retry-After holds) is the only one the site ever sees: `per_host_concurrency`, the larger
of `per_host_delay_s` and Crawl-delay, and robots.txt once per host hold for the whole run.
The scheduler gives a host at most `per_host_concurrency` threads, round-robin over hosts,
so a slow site holds no thread another site could use. An image's fallback URLs (same site)
are tried only when the ones before them failed. Each result is decoded, its bytes stored
by content and its journal line appended (the commit of that URL), as it completes.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable, Iterable

from builder.images.config import ImagesConfig
from builder.images.source import ImageSource, decode_pool
from builder.phases.hosts import host_of
from builder.phases.layout import PHASE_FETCH, fetch_dir, lists_dir
from builder.phases.store import BlobStore, FetchRecord, Journal, read_journal
from builder.run_state import PartitionResult, RunState
from builder.stats import Stats
from builder.tasks import FetchTask


def read_jobs(lists: Path, bucket: int, partitions: Iterable[str]) -> list[tuple[str, ...]]:
    """The distinct fetch jobs of a bucket over the given partitions' lists, in a stable order."""
    jobs: set[tuple[str, ...]] = set()
    for partition in partitions:
        path = lists / partition / f"{bucket:04d}.jsonl"
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line:
                    jobs.add(tuple(json.loads(line)))
    return sorted(jobs)


class BucketFetcher:
    """Resolves URLs on a thread pool; per-host slots, round-robin over hosts."""

    def __init__(self, resolve: Callable[[str], FetchRecord], threads: int, per_host: int) -> None:
        self.resolve = resolve  # thread-safe: URL -> its committed-to-be record
        self.threads = max(1, threads)
        # The limiter holds the request slots; twice as many threads let decoding overlap the next requests.
        self.per_host = 2 * max(1, per_host)

    def run(self, jobs: list[tuple[str, ...]], known: dict[str, FetchRecord],
            on_record: Callable[[FetchRecord], None]) -> dict[str, FetchRecord]:
        """Resolve every job (first URL that works); `known` results are never fetched again."""
        results = dict(known)
        queues: dict[str, deque[str]] = {}
        queued: set[str] = set()
        waiting: dict[str, list[tuple[tuple[str, ...], int]]] = {}

        def advance(job: tuple[str, ...], i: int) -> None:
            while i < len(job):
                url = job[i]
                record = results.get(url)
                if record is None:
                    waiting.setdefault(url, []).append((job, i))
                    if url not in queued:
                        queued.add(url)
                        queues.setdefault(host_of(url), deque()).append(url)
                    return
                if record.ok:
                    return
                i += 1

        for job in jobs:
            advance(job, 0)
        busy: dict[str, int] = {}
        running: dict[Future[FetchRecord], str] = {}
        with ThreadPoolExecutor(self.threads, thread_name_prefix="loom-fetch") as pool:
            while queues or running:
                submitted = True
                while submitted and len(running) < self.threads:
                    submitted = False
                    for host in list(queues):  # round-robin: one URL per free host per turn
                        if len(running) >= self.threads:
                            break
                        if busy.get(host, 0) >= self.per_host:
                            continue
                        url = queues[host].popleft()
                        if not queues[host]:
                            del queues[host]
                        busy[host] = busy.get(host, 0) + 1
                        running[pool.submit(self._one, url)] = url
                        submitted = True
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    url = running.pop(future)
                    busy[host_of(url)] -= 1
                    record = future.result()
                    results[url] = record
                    on_record(record)
                    for job, i in waiting.pop(url, []):
                        advance(job, i + (0 if record.ok else 1))
        return results

    def _one(self, url: str) -> FetchRecord:
        try:
            return self.resolve(url)
        except Exception as exc:  # noqa: BLE001 - a bug in one image must not end the bucket
            return FetchRecord(url, reason=f"internal_error.{type(exc).__name__}")


def stored(source: ImageSource, blobs: BlobStore, url: str) -> FetchRecord:
    """Fetch and decode `url`; good bytes go to the blob store before the record exists."""
    outcome = source.get(url)
    if outcome.reason is not None or outcome.data is None:
        return FetchRecord(url, reason=outcome.reason or "empty", source=outcome.source or "http")
    sha = blobs.put(outcome.data)
    return FetchRecord(url, sha256=sha, source=outcome.source or "http", info=dict(outcome.info))


def warm_decoder(images: ImagesConfig) -> None:
    """Decode one tiny image first: the codecs' first use (imports, tables) holds the GIL for a
    second, which would delay a request already given its start time and squeeze the next gap."""
    import io

    from PIL import Image

    from builder.images.decode import decode_image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 120, 150)).save(buf, "JPEG")
    with contextlib.suppress(Exception):
        decode_image(buf.getvalue(), images.decode)


def fetch_bucket(task: FetchTask) -> PartitionResult:
    config, output = task.config, task.output

    def body() -> PartitionResult:
        from builder.images.cache import ImageCache
        from builder.net.fetcher import Fetcher
        from builder.net.optout import OptOutList

        images = config.images
        folder = fetch_dir(output)
        jobs = read_jobs(lists_dir(output), task.bucket, task.lists)
        known = read_journal(folder, task.bucket)
        stats = Stats()
        stats.count("fetch.jobs", len(jobs))
        blobs = BlobStore(folder)
        journal = Journal(folder, task.bucket)
        optout = OptOutList.from_file(config.resolve(images.fetch.optout_file)) if images.fetch.optout_file else None
        cache = ImageCache(config.resolve(images.cache_dir)) if images.cache_dir else None
        decoder = decode_pool(images)
        fetcher = Fetcher(images.fetch, optout=optout)
        warm_decoder(images)
        try:
            source = ImageSource(images, fetcher, cache, None, decoder)

            def commit(record: FetchRecord) -> None:
                stats.count("fetch.url.ok" if record.ok else f"fetch.url.{record.reason}")
                journal.append(record)

            BucketFetcher(functools.partial(stored, source, blobs), images.threads,
                          images.fetch.per_host_concurrency).run(jobs, known, commit)
        finally:
            journal.close()
            fetcher.close()
            decoder.shutdown(wait=True, cancel_futures=True)
        stats.count("fetch.url.known", len(known))
        (folder / "covered").mkdir(parents=True, exist_ok=True)
        (folder / "covered" / f"{task.bucket:04d}.json").write_text(json.dumps(sorted(task.lists)))
        result = PartitionResult(task.name, PHASE_FETCH, stats=stats)
        RunState(output).commit(result)
        return result

    from builder.partition_tasks import run_guarded

    return run_guarded(task.name, PHASE_FETCH, body)


def covered_lists(output, bucket: int) -> list[str] | None:  # noqa: ANN001 - RunOutput
    path = fetch_dir(output) / "covered" / f"{bucket:04d}.json"
    return json.loads(path.read_text()) if path.is_file() else None
