"""Pages fetched live: seed URLs, optionally links within each seed's site, archived as WARC.

Fetching goes through `builder.net.Fetcher`, the same layer the image stage uses: opt-out
list, robots.txt, SSRF guard, per-host concurrency and delay (and Crawl-delay), timeouts,
size limit, retries. The crawl is breadth-first: a queue of (URL, depth) in discovery order,
fetched by a bounded pool (a URL whose host is saturated lets the next host's URL go first)
and handled strictly in submission order, so the same sites give the same pages in the same
order on every run. A site (a seed's host) is never split over partitions, so the set of
URLs already seen is complete within one partition.

Every response is written to a WARC (`warc_writer.py`) as it is handled, and the page's
provenance points at its record: reading the WARC back with a `warc` source gives the same
documents, with the same keys, without fetching again.

Each URL requested is one record (``record.in``): it becomes a page (``record.out``) or is
dropped with the fetcher's reason (``record.robots_disallowed``, ``record.http_404``,
``record.too_large``, ``record.not_html``, ...).
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Mapping

from builder.context import RunContext
from builder.document import Provenance
from builder.errors import SourceError
from builder.net.fetcher import Fetcher
from builder.net.optout import OptOutList
from builder.net.result import FetchResult
from builder.net.x_robots import directives_for
from builder.sources.base import Source
from builder.sources.config import CrawlSourceConfig
from builder.sources.crawl_links import host_of, in_scope, looks_binary, normalise_url, page_links
from builder.sources.page import Page
from builder.sources.partition import Partition, partition_id
from builder.sources.warc_records import HTML_TYPES, looks_like_html, media_type
from builder.sources.warc_writer import CrawlWarcWriter, Exchange, Written, payload_digest

log = logging.getLogger(__name__)

DEFAULT_WARC_DIR = "crawl-warc"  # under the run's output folder
SCHEDULE_LOOKAHEAD = 512  # queued URLs searched for one whose host is free


@dataclass(frozen=True, slots=True)
class _Task:
    url: str
    depth: int
    site: str  # host of the seed this URL was reached from


def read_seeds(path: Path) -> list[str]:
    """URLs of a seed file: one a line; blank lines and ``#`` comments ignored; bad lines are an error."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the seed file: {exc.strerror or exc}") from None
    seeds = []
    for lineno, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = line.split()[0]  # a URL has no spaces: anything after one is a comment
        if normalise_url(line) is None:
            raise SourceError(f"{path}:{lineno}: not an http(s) URL: {line!r}")
        seeds.append(line)
    return seeds


def _not_html_check(token: str):
    """Refuse a response before its body is read: a declared non-HTML type, or X-Robots-Tag noai."""

    def check(status: int, headers: Mapping[str, str], items: list[tuple[str, str]]) -> str | None:
        media = media_type(headers.get("content-type"))
        if media and media not in HTML_TYPES:
            return "not_html"
        if "noai" in directives_for([v for k, v in items if k.lower() == "x-robots-tag"], token):
            return "noai"
        return None

    return check


class CrawlSource(Source):
    """Pages fetched from seed URLs (and their sites' links up to `max_depth`)."""

    type = "crawl"
    config_class = CrawlSourceConfig
    config: CrawlSourceConfig

    # -- planning -----------------------------------------------------------------------------

    def seeds(self) -> list[str]:
        seeds = list(self.config.urls)
        if self.config.seeds:
            seeds += read_seeds(self.loom_config.resolve(self.config.seeds))
        for url in self.config.urls:
            if normalise_url(url) is None:
                raise SourceError(f"crawl source: not an http(s) URL: {url!r}")
        return seeds

    def partitions(self) -> list[Partition]:
        """Seeds grouped by site (registrable domain), whole sites to a partition, about
        `seeds_per_partition` seeds each: one site's pages, and its own images, are fetched by
        one task of the run, with one budget and one robots.txt cache."""
        from builder.phases.hosts import registrable_domain

        by_host: dict[str, list[str]] = {}
        for url in self.seeds():
            by_host.setdefault(registrable_domain(host_of(url)), []).append(url)
        parts: list[Partition] = []
        chunk: list[str] = []
        for host in sorted(by_host):
            if chunk and len(chunk) + len(by_host[host]) > self.config.seeds_per_partition:
                parts.append(self._partition(chunk))
                chunk = []
            chunk.extend(by_host[host])
        if chunk:
            parts.append(self._partition(chunk))
        return parts

    def _partition(self, seeds: list[str]) -> Partition:
        items = tuple(seeds)
        label = f"{host_of(seeds[0])} ({len(seeds)} seeds)"
        return Partition(partition_id(self.type, "\n".join(items), host_of(seeds[0])), self.index, items, label)

    # -- reading ------------------------------------------------------------------------------

    def _fetcher(self) -> Fetcher:
        cfg = self.config
        max_bytes = cfg.max_page_bytes or self.max_page_bytes
        fetch = cfg.fetch.model_copy(update={"max_bytes": max_bytes})
        optout = OptOutList.from_file(self.loom_config.resolve(fetch.optout_file)) if fetch.optout_file else None
        return Fetcher(fetch, optout=optout)

    def _warc_path(self, partition: Partition, ctx: RunContext) -> Path | None:
        if not self.config.archive:
            return None
        if self.config.warc_dir:
            folder = self.loom_config.resolve(self.config.warc_dir)
        elif ctx.work_dir is not None:
            folder = Path(ctx.work_dir).parent / DEFAULT_WARC_DIR
        else:
            raise SourceError("crawl source: set `warc_dir` (or `archive: false`) when running outside `loom run`")
        return folder / f"{partition.id}.warc.gz"

    def read(self, partition: Partition, ctx: RunContext) -> Iterator[Page]:
        warc_path = self._warc_path(partition, ctx)
        writer = CrawlWarcWriter(warc_path, info={"loom-partition": partition.id}) if warc_path else None
        fetcher = self._fetcher()
        # In a run's pages phase the image stage fetches this site's images through the crawl's
        # own fetcher: one budget (concurrency, delay, Crawl-delay, Retry-After) and one robots.txt
        # cache for the site's pages and images; it is closed when the partition's stages are.
        shared = ctx.share_site_fetcher
        if shared:
            ctx.site_fetcher = fetcher
        if writer is not None:  # robots.txt files and the image stage's responses go in the WARC too
            fetcher.observer = response_observer(writer, ("robots", "image") if shared else ("robots",))
            ctx.response_observer = response_observer(writer)
        try:
            yield from _Crawl(self.config, fetcher, writer, ctx).run(partition.items)
        finally:
            if shared:
                ctx.closers.append(fetcher.close)
            else:
                fetcher.close()
            if writer is not None:
                ctx.stats.count("crawl.warc_records", writer.records)  # pages; image records follow


class _Crawl:
    """One partition's breadth-first crawl."""

    def __init__(self, config: CrawlSourceConfig, fetcher: Fetcher, writer: CrawlWarcWriter | None,
                 ctx: RunContext) -> None:
        self.config = config
        self.fetcher = fetcher
        self.writer = writer
        self.stats = ctx.stats
        self.check = _not_html_check(fetcher.config.robots_token)
        self.seen: set[str] = set()  # normalised URLs queued or fetched
        self.pages: dict[str, tuple[str, Written | None]] = {}  # page URL -> (payload digest, its record)
        self.queue: deque[_Task] = deque()
        self.budget = config.max_pages

    def _enqueue(self, url: str, depth: int, site: str) -> None:
        key = normalise_url(url)
        if key is None or key in self.seen:
            return
        self.seen.add(key)
        if self.budget <= 0:
            if depth == 0:  # a seed is an input record: it is counted even when never fetched
                self.stats.count("record.in")
                self.stats.drop("record.over_budget")
            else:
                self.stats.count("crawl.links_over_budget")
            return
        self.budget -= 1
        self.queue.append(_Task(key, depth, site))

    def run(self, seeds: tuple[str, ...]) -> Iterator[Page]:
        for seed in seeds:
            self._enqueue(seed, 0, host_of(seed))
        window = max(2, 2 * self.config.threads)
        in_flight: deque[tuple[_Task, Future[FetchResult]]] = deque()
        busy: Counter[str] = Counter()  # requests in flight per host
        with ThreadPoolExecutor(self.config.threads, thread_name_prefix="loom-crawl") as pool:
            try:
                while self.queue or in_flight:
                    while len(in_flight) < window:
                        task = self._next_task(busy)
                        if task is None:
                            break
                        if task.url in self.pages:  # a redirect handled meanwhile already gave this page
                            self.stats.count("record.in")
                            self.stats.drop("record.duplicate")
                            continue
                        busy[host_of(task.url)] += 1
                        in_flight.append((task, pool.submit(self.fetcher.fetch, task.url, "page", self.check)))
                    task, future = in_flight.popleft()
                    busy[host_of(task.url)] -= 1
                    page = self._handle(task, future.result())
                    if page is not None:
                        yield page
            finally:
                for _, future in in_flight:
                    future.cancel()

    def _next_task(self, busy: Counter[str]) -> _Task | None:
        """The first queued URL whose host has a free slot, so threads never all wait on one slow site.

        Only the head of the queue is searched; what is in flight decides, never timing, so
        the order stays the same from run to run.
        """
        limit = self.fetcher.config.per_host_concurrency
        for i, task in enumerate(itertools.islice(self.queue, SCHEDULE_LOOKAHEAD)):
            if busy[host_of(task.url)] < limit:
                del self.queue[i]
                return task
        return None

    def _archive(self, result: FetchResult, url: str, revisit_of: Written | None = None) -> Written | None:
        if self.writer is None:
            return None
        return archive_result(self.writer, result, url, revisit_of)

    def _handle(self, task: _Task, result: FetchResult) -> Page | None:
        stats = self.stats
        stats.count("record.in")
        stats.count(f"crawl.depth_{task.depth}")
        for hop in result.history:  # redirect responses on the way are archived too
            self._archive(hop, hop.final_url or task.url)
            stats.count("crawl.redirects")
        final_url = result.final_url or task.url
        final_key = normalise_url(final_url) or final_url
        earlier = self.pages.get(final_key) if result.error is None else None
        if earlier is not None:  # a redirect to a page already fetched (or fetched meanwhile)
            same = earlier[0] == payload_digest(result.body)
            self._archive(result, final_url, revisit_of=earlier[1] if same else None)
            stats.drop("record.duplicate")
            return None
        written = self._archive(result, final_url)
        if result.error is not None:
            stats.drop(f"record.{result.error}")
            return None
        self.seen.add(final_key)
        media = media_type(result.headers.get("content-type"))
        if media not in HTML_TYPES and not looks_like_html(result.body):
            stats.drop("record.not_html")
            return None
        self.pages[final_key] = (payload_digest(result.body), written)
        if task.depth < self.config.max_depth:
            # A seed that redirects (http -> https, example.org -> www.example.org) moves its site along.
            site = host_of(final_url) if task.depth == 0 else task.site
            self._follow(task, site, final_url, result.body)
        provenance = Provenance(url=final_url, source="crawl", fetched=written.date if written else _now(),
                                payload_digest=self.pages[final_key][0])
        if written is not None:
            provenance.warc_file, provenance.warc_offset = written.file, written.offset
            provenance.warc_length, provenance.warc_record_id = written.length, written.record_id
        stats.count("record.out")
        return Page(final_url, result.body, dict(result.headers), provenance, result.status or 200)

    def _follow(self, task: _Task, site: str, page_url: str, body: bytes) -> None:
        links, nofollow = page_links(body, page_url, follow_nofollow=self.config.follow_nofollow,
                                     robots_token=self.fetcher.config.robots_token)
        if nofollow:
            self.stats.count("crawl.links_nofollow", nofollow)
        for link in links:
            if not in_scope(link, site, self.config.scope):
                self.stats.count("crawl.links_off_site")
            elif looks_binary(link):
                self.stats.count("crawl.links_binary")
            else:
                self._enqueue(link, task.depth + 1, site)


def archive_result(writer: CrawlWarcWriter, result: FetchResult, url: str,
                   revisit_of: Written | None = None) -> Written | None:
    """Archive one response (nothing when no response came: refused before asking, timeout, ...)."""
    if result.status is None:
        return None
    exchange = Exchange(
        url=url, status=result.status, response_headers=result.header_items or list(result.headers.items()),
        body=result.body, body_complete=result.error is None and result.status < 300,
        request_headers=result.request_headers, date=datetime.now(timezone.utc),
    )
    return writer.write(exchange, revisit_of)


def response_observer(writer: CrawlWarcWriter, kinds: tuple[str, ...] = ("image", "robots")):
    """Archives a fetcher's responses of `kinds` in the crawl's WARC, so a re-read needs no network.

    The image stage's fetcher gets one (its images and robots.txt files), the crawl's own
    fetcher one for robots.txt only (pages are archived in order by the crawl itself). Called
    from fetching threads; the writer is thread-safe. A 200 refused for its headers
    (X-Robots-Tag noai, a wrong type) is archived with those headers and no body (marked
    WARC-Truncated), so a re-read refuses it the same way without asking again; one cut for
    its size or time is not (an empty record would stand for the picture).
    """

    def observe(result: FetchResult, kind: str) -> None:
        if kind not in kinds:
            return
        for hop in result.history:
            archive_result(writer, hop, hop.final_url or result.url)
        if result.status is not None and (result.error is None or result.status >= 300 or result.refused):
            archive_result(writer, result, result.final_url or result.url)

    return observe


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
