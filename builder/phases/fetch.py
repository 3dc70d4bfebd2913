"""The fetch phase: one host bucket's images, each URL fetched once per run, by the only task that talks to those hosts.

All URLs of a registrable domain are in one bucket (`builder.phases.hosts`) and a bucket is
one task, so this task's `Fetcher` (its per-host limiter, its robots.txt cache, its
Retry-After holds) is the only one the site ever sees: `per_host_concurrency`, the larger
of `per_host_delay_s` and Crawl-delay, and robots.txt once per host hold for the whole run.

A job is one image's candidate URLs (`builder.phases.pages.fetch_job`); `ImageSource.get`
tries them in order, as the image stage would. Identical jobs are one job; a URL shared by
several jobs is fetched once (`OnceFetcher`). The scheduler gives a host at most twice its
request slots in threads, round-robin over hosts, so a slow site holds no thread another
site could use. Each result is decoded, its bytes stored by content and its journal line
appended (the commit of that job), as it completes.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable, Iterable

from builder.images.config import ImagesConfig
from builder.images.source import ImageSource, decode_pool
from builder.net.fetcher import Fetcher, HeaderCheck
from builder.net.result import FetchResult
from builder.phases.hosts import host_of
from builder.phases.layout import PHASE_FETCH, fetch_dir, lists_dir
from builder.phases.store import BlobStore, FetchRecord, Journal, read_journal
from builder.run_output import RunOutput
from builder.run_state import PartitionResult, RunState
from builder.stats import Stats
from builder.tasks import FetchTask

Job = tuple[str, ...]


def read_jobs(lists: Path, bucket: int, partitions: Iterable[str]) -> list[Job]:
    """The distinct fetch jobs of a bucket over the given partitions' lists, in a stable order."""
    jobs: set[Job] = set()
    for partition in partitions:
        path = lists / partition / f"{bucket:04d}.jsonl"
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line:
                    jobs.add(tuple(json.loads(line)))
    return sorted(jobs)


class OnceFetcher:
    """A `Fetcher` in front of which a URL that several jobs may ask for is requested once.

    `uses` counts the jobs naming each URL; a result is kept only while a later job may still
    ask for it, so memory holds the shared images of the bucket, not all of them.
    """

    def __init__(self, fetcher: Fetcher, uses: Counter[str]) -> None:
        self.fetcher = fetcher
        self.optout = fetcher.optout
        self._uses = uses
        self._memo: dict[str, tuple[threading.Event, list[FetchResult]]] = {}
        self._lock = threading.Lock()

    def fetch(self, url: str, kind: str = "page", check_headers: HeaderCheck | None = None) -> FetchResult:
        if self._uses.get(url, 0) <= 1:
            return self.fetcher.fetch(url, kind, check_headers)
        with self._lock:
            entry = self._memo.get(url)
            owner = entry is None
            if entry is None:
                entry = self._memo[url] = (threading.Event(), [])
        done, box = entry
        if owner:
            try:
                box.append(self.fetcher.fetch(url, kind, check_headers))
            finally:
                done.set()
        else:
            done.wait()
        with self._lock:
            self._uses[url] -= 1
            if self._uses[url] <= 0:
                self._memo.pop(url, None)
        return box[0] if box else FetchResult(url, error="internal_error")


class BucketScheduler:
    """Runs jobs on a thread pool: per-host thread slots, round-robin over hosts."""

    def __init__(self, resolve: Callable[[Job], FetchRecord], threads: int, per_host: int) -> None:
        self.resolve = resolve  # thread-safe: job -> its record
        self.threads = max(1, threads)
        # The fetcher's limiter holds the request slots; twice as many threads let decoding
        # overlap the host's next requests.
        self.per_host = 2 * max(1, per_host)

    def run(self, jobs: list[Job], on_record: Callable[[FetchRecord], None]) -> None:
        queues: dict[str, deque[Job]] = {}
        for job in jobs:
            queues.setdefault(host_of(job[0]), deque()).append(job)
        busy: Counter[str] = Counter()
        running: dict[Future[FetchRecord], str] = {}
        with ThreadPoolExecutor(self.threads, thread_name_prefix="loom-fetch") as pool:
            while queues or running:
                submitted = True
                while submitted and len(running) < self.threads:
                    submitted = False
                    for host in list(queues):  # one job per host with a free slot, per turn
                        if len(running) >= self.threads:
                            break
                        if busy[host] >= self.per_host:
                            continue
                        job = queues[host].popleft()
                        if not queues[host]:
                            del queues[host]
                        busy[host] += 1
                        running[pool.submit(self._one, job)] = host
                        submitted = True
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    busy[running.pop(future)] -= 1
                    on_record(future.result())

    def _one(self, job: Job) -> FetchRecord:
        try:
            return self.resolve(job)
        except Exception as exc:  # noqa: BLE001 - a bug in one image must not end the bucket
            return FetchRecord(job, reason=f"internal_error.{type(exc).__name__}")


def stored(source: ImageSource, blobs: BlobStore, job: Job) -> FetchRecord:
    """Fetch and decode one image (its candidates in order); good bytes go to the blob store first."""
    outcome = source.get(list(job))
    if outcome.reason is not None or outcome.data is None:
        return FetchRecord(job, url=outcome.url, reason=outcome.reason or "empty", source=outcome.source or "http")
    sha = blobs.put(outcome.data)
    return FetchRecord(job, url=outcome.url, sha256=sha, source=outcome.source or "http", info=dict(outcome.info))


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


def fetch_jobs(images: ImagesConfig, fetcher: Fetcher, jobs: list[Job], folder: Path, bucket: int,
               cache: Any = None, stats: Stats | None = None) -> None:
    """Every job not yet in the bucket's journal: fetched, decoded, stored, journaled."""
    stats = stats if stats is not None else Stats()
    known = read_journal(folder, bucket)
    todo = [job for job in jobs if job not in known]
    stats.count("fetch.jobs", len(jobs))
    stats.count("fetch.jobs_already_done", len(jobs) - len(todo))
    uses = Counter(url for job in todo for url in job)
    blobs = BlobStore(folder)
    journal = Journal(folder, bucket)
    decoder = decode_pool(images)
    warm_decoder(images)
    try:
        source = ImageSource(images, OnceFetcher(fetcher, uses), cache, None, decoder)  # type: ignore[arg-type]

        def commit(record: FetchRecord) -> None:
            stats.count("fetch.ok" if record.ok else f"fetch.{record.reason}")
            journal.append(record)

        BucketScheduler(lambda job: stored(source, blobs, job), images.threads,
                        images.fetch.per_host_concurrency).run(todo, commit)
    finally:
        journal.close()
        decoder.shutdown(wait=True, cancel_futures=True)


def fetch_bucket(task: FetchTask) -> PartitionResult:
    config, output = task.config, task.output

    def body() -> PartitionResult:
        from builder.images.cache import ImageCache
        from builder.net.optout import OptOutList

        images = config.images
        folder = fetch_dir(output)
        stats = Stats()
        optout = OptOutList.from_file(config.resolve(images.fetch.optout_file)) if images.fetch.optout_file else None
        cache = ImageCache(config.resolve(images.cache_dir)) if images.cache_dir else None
        fetcher = Fetcher(images.fetch, optout=optout)
        try:
            jobs = read_jobs(lists_dir(output), task.bucket, task.lists)
            fetch_jobs(images, fetcher, jobs, folder, task.bucket, cache, stats)
        finally:
            fetcher.close()
        (folder / "covered").mkdir(parents=True, exist_ok=True)
        (folder / "covered" / f"{task.bucket:04d}.json").write_text(json.dumps(sorted(task.lists)))
        result = PartitionResult(task.name, PHASE_FETCH, stats=stats)
        RunState(output).commit(result)
        return result

    from builder.partition_tasks import run_guarded

    return run_guarded(task.name, PHASE_FETCH, body)


def covered_lists(output: RunOutput, bucket: int) -> list[str] | None:
    path = fetch_dir(output) / "covered" / f"{bucket:04d}.json"
    return json.loads(path.read_text()) if path.is_file() else None
