"""The image stage: every image node gets its bytes, or is removed with a counted reason.

Documents stream through a bounded window. The images of all documents in the window are
fetched and decoded concurrently on a thread pool (Pillow and sockets release the GIL),
and documents leave in input order as soon as the one at the head is complete. The same
URL appearing more than once in the window is fetched once. Counters are only touched
from the calling thread, so `Stats` needs no lock.
"""

from __future__ import annotations

import contextlib
from collections import deque
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Callable, Iterable, Iterator

from builder.context import RunContext
from builder.document import Document, ImageNode
from builder.images.cache import ImageCache
from builder.images.config import ImagesConfig
from builder.images.policy import page_opt_out
from builder.images.source import DEFERRED, ImageOutcome, ImageSource, decode_pool
from builder.net.fetcher import Fetcher
from builder.net.optout import OptOutList
from builder.stage import Stage

_Pending = tuple[Document, list[tuple[ImageNode, "Future[ImageOutcome] | str"]]]


class ImageStage(Stage):
    name = "images"

    def __init__(self, config: ImagesConfig, network: bool | Callable[[str], bool] = True) -> None:
        self.config = config
        # False (the pages phase): only archive, inline and cached bytes; an image that needs
        # the network keeps its node without bytes, for the fetch phase. A predicate on the
        # image's first URL: fetch those it accepts now, defer the others.
        self.network = network
        self._fetcher: Fetcher | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._cache: ImageCache | None = None
        self._decoder: Executor | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def open(self, ctx: RunContext) -> None:
        if self._fetcher is not None:
            return
        fetch = self.config.fetch
        resolve = getattr(ctx.config, "resolve", None)
        optout = None
        if fetch.optout_file:
            path = resolve(fetch.optout_file) if resolve else fetch.optout_file
            optout = OptOutList.from_file(path)
        self._fetcher = Fetcher(fetch, optout=optout)
        if self.config.cache_dir:
            self._cache = ImageCache(resolve(self.config.cache_dir) if resolve else self.config.cache_dir)
        self._pool = ThreadPoolExecutor(self.config.threads, thread_name_prefix="loom-image")
        self._decoder = decode_pool(self.config)

    def close(self, wait: bool = True) -> None:
        """Stop the pools (pending work is cancelled) and close the connections."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None
        if self._decoder is not None:
            self._decoder.shutdown(wait=wait, cancel_futures=True)
            self._decoder = None
        if self._fetcher is not None:
            self._fetcher.close()
            self._fetcher = None

    def __enter__(self) -> ImageStage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the stage --------------------------------------------------------------------------

    def __call__(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
        self.open(ctx)  # (idempotent) for a caller that did not open the stage
        assert self._fetcher is not None and self._pool is not None
        source = self._source(ctx)
        window: deque[_Pending] = deque()
        shared: dict[str, list] = {}  # url -> [future, documents in the window using it]
        max_images = max(4 * self.config.threads, 64)
        pending_images = 0
        for doc in docs:
            self._fetcher.observer = ctx.response_observer  # set by a crawl source: archives responses
            # Re-reading a crawl's archive: its robots.txt answers hold, nothing is asked live.
            self._fetcher.robots_archive = getattr(ctx.image_archive, "robots", None)
            site = ctx.site_fetcher
            if source.archive is not ctx.image_archive or (site is not None and source.fetcher is not site):
                # a new partition may bring a new archive, or a crawl its site's fetcher
                source = self._source(ctx)
            item = self._submit(doc, source, shared)
            window.append(item)
            pending_images += len(item[1])
            while window and (
                len(window) >= self.config.max_docs_in_flight
                or pending_images > max_images
                or self._head_done(window[0])
            ):
                head = window.popleft()
                pending_images -= len(head[1])
                yield self._finish(head, shared, ctx)
        while window:
            yield self._finish(window.popleft(), shared, ctx)

    def _source(self, ctx: RunContext) -> ImageSource:
        assert self._fetcher is not None
        # A crawl's fetcher when the partition is a crawl (its site's budget and robots.txt).
        fetcher = ctx.site_fetcher or self._fetcher
        return ImageSource(self.config, fetcher, self._cache, ctx.image_archive, self._decoder,
                           network=self.network)

    def _submit(self, doc: Document, source: ImageSource, shared: dict[str, list]) -> _Pending:
        assert self._pool is not None
        jobs: list[tuple[ImageNode, Future[ImageOutcome] | str]] = []
        blocked = page_opt_out(doc.metadata, self.config.policy)
        for node in doc.nodes:
            if not isinstance(node, ImageNode):
                continue
            if blocked:
                jobs.append((node, blocked))
                continue
            if not node.src:
                jobs.append((node, "no_url"))
                continue
            entry = shared.get(node.src)
            if entry is None:
                entry = shared[node.src] = [self._pool.submit(source.get, node.urls()), 0]
            entry[1] += 1
            jobs.append((node, entry[0]))
        return doc, jobs

    @staticmethod
    def _head_done(item: _Pending) -> bool:
        return all(isinstance(job, str) or job.done() for _, job in item[1])

    def _finish(self, item: _Pending, shared: dict[str, list], ctx: RunContext) -> Document:
        doc, jobs = item
        failed: dict[int, str] = {}
        for node, job in jobs:
            if isinstance(job, str):
                failed[id(node)] = f"image.{job}"
                continue
            try:
                outcome = job.result()
            except Exception as exc:  # noqa: BLE001 - a bug in one image must not end the run
                outcome = ImageOutcome(reason=f"internal_error.{type(exc).__name__}")
            entry = shared.get(node.src)
            if entry is not None:
                entry[1] -= 1
                if entry[1] <= 0:
                    del shared[node.src]
            if outcome.reason == DEFERRED:
                continue  # kept without bytes: the fetch phase fetches it
            if outcome.reason is not None or outcome.data is None:
                failed[id(node)] = f"image.{outcome.reason or 'empty'}"
                continue
            ctx.stats.count(f"image.source.{outcome.source}")
            if outcome.alternate:  # the archive or cache held the picture under another of its URLs
                ctx.stats.count(f"image.candidate_alternate.{outcome.source}")
            if outcome.fallback:  # the preferred URL failed on the network; a later candidate served
                ctx.stats.count("image.candidate_fallback")
            node.data = outcome.data
            node.info.update(outcome.info)
        ctx.remove_nodes(doc, failed)  # counted, and recorded on the document
        return doc

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close(wait=False)  # never block garbage collection on a slow server
