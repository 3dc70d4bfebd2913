"""Where an image's bytes come from, in order: the page's archive, the disk cache, the network.

With ``network=False`` (the pages phase of a run) nothing is fetched: an image that would
need the network comes back with the reason `DEFERRED`, and the fetch phase gets it.
`network` may also be a predicate on the image's first URL (a crawl fetches its own site's
images as it goes and defers the others).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import multiprocessing
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

from builder.context import ImageArchive
from builder.images.archive_index import canonical
from builder.images.cache import ImageCache
from builder.images.config import ImagesConfig
from builder.images.decode import decode_image
from builder.images.errors import ImageRejected
from builder.images.policy import response_opt_out
from builder.net.fetcher import Fetcher
from builder.net.robots import ALLOWED, RobotsCache, RobotsFetch, origin_of


@dataclass
class ImageOutcome:
    """The stored bytes and info of one image, or the reason it was dropped."""

    data: bytes | None = None
    info: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    source: str | None = None  # warc, cache, http, inline
    url: str | None = None  # the candidate whose bytes these are
    alternate: bool = False  # not the preferred candidate: the archive or cache held another one
    fallback: bool = False  # the preferred candidate failed on the network; a later one served


# Network failures after which the next candidate is tried (the URL is wrong or gone, or its
# bytes are no image); a refusal by policy, robots or a busy host would refuse the next one too.
_FALLBACK_ERRORS = ("http_404", "http_410", "http_403", "http_400", "dns_error", "connection_error", "bad_url")
_FALLBACK_REJECTIONS = ("truncated", "decode_error", "not_an_image", "unsupported_format", "empty")
DEFERRED = "deferred"  # in no archive nor cache: left to the fetch phase
MAX_NETWORK_CANDIDATES = 3  # network tries per image at most (each is a request to someone's server)


def _data_uri(src: str) -> bytes:
    header, _, payload = src.partition(",")
    if header.lower().endswith(";base64"):
        return base64.b64decode(payload, validate=False)
    return unquote_to_bytes(payload)


def decode_pool(config: ImagesConfig) -> Executor:
    """Where decoding runs: a few threads, or (decode_processes > 0) a few worker processes.

    Few threads keep big bitmaps few and stop the allocator from spreading freed image memory
    over one arena per fetch thread. Processes ("spawn": safe beside running threads) give
    decoding its own cores and its Python-level steps their own GIL.
    """
    if config.decode_processes > 0:
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(config.decode_processes, mp_context=context)
    workers = max(1, config.decode_workers or os.cpu_count() or 1)
    return ThreadPoolExecutor(workers, thread_name_prefix="loom-decode")


class ImageSource:
    """Gets and decodes one image; thread-safe (called from the stage's pool)."""

    def __init__(
        self,
        config: ImagesConfig,
        fetcher: Fetcher,
        cache: ImageCache | None,
        archive: ImageArchive | None,
        decoder: Executor | None = None,
        network: bool | Callable[[str], bool] = True,
    ) -> None:
        self.config = config
        self.network = network
        self.fetcher = fetcher
        self.cache = cache
        self.archive = archive
        self._decoder = decoder  # None: decode on the calling thread
        self._robots: tuple[Any, RobotsCache, dict[str, bool]] | None = None  # (archive, its robots, held?)
        self._robots_lock = threading.Lock()

    def _archived_robots(self, url: str) -> str | None:
        """The refusal the robots.txt held in the page's archive gives `url` (a crawl archives its
        robots.txt answers), so re-reading the crawl asks nothing live; None when it allows or holds none."""
        lookup = getattr(self.archive, "robots", None)
        if lookup is None or not self.config.fetch.robots.obey:
            return None
        robots_url = origin_of(url) + "/robots.txt"
        with self._robots_lock:
            if self._robots is None or self._robots[0] is not self.archive:
                self._robots = (self.archive, RobotsCache(self.config.fetch.robots, self.config.fetch.robots_token,
                                                          lambda u: lookup(u) or RobotsFetch(404)), {})
            known = self._robots[2]
            if robots_url not in known:
                known[robots_url] = lookup(robots_url) is not None
        if not known[robots_url]:
            return None
        verdict = self._robots[1].verdict(url)
        return None if verdict == ALLOWED else verdict

    def _header_check(self, status: int, headers: Any, items: list[tuple[str, str]]) -> str | None:
        return response_opt_out(headers, items, self.config.policy, self.config.fetch.robots_token)

    def _fetch(self, url: str) -> tuple[bytes | None, str, str | None]:
        result = self.fetcher.fetch(url, kind="image", check_headers=self._header_check)
        if not result.ok:
            return None, "http", result.error
        if self.cache is not None:
            with contextlib.suppress(OSError):  # a full or read-only cache must not lose the image
                self.cache.put(url, result.body)
        return result.body, "http", None

    def get(self, urls: list[str] | str) -> ImageOutcome:
        """The first candidate that gives a decodable image: archive and cache first (any
        candidate), then the network (the preferred one, then the next on a 404 or non-image)."""
        if isinstance(urls, str):
            urls = [urls]
        if not urls:
            return ImageOutcome(reason="no_url")
        first = urls[0]
        if first.startswith("data:"):
            try:
                return self._decoded(_data_uri(first), "inline", first)
            except (binascii.Error, ValueError):
                return ImageOutcome(reason="bad_data_uri", source="inline")
        allowed = [u for u in urls if not u.startswith("data:")]
        if any(self.fetcher.optout.matches(u) for u in allowed):  # one picture: opted out under any URL
            return ImageOutcome(reason="opted_out", source="policy")
        failed: ImageOutcome | None = None  # a stored copy that did not decode
        tried: set[str] = set()  # canonical forms of those: the network would serve the same bytes
        for source, lookup in self._stores():
            for url in allowed:
                found = lookup(url)
                if found is None:
                    continue
                data, headers = found
                if headers is not None and (reason := self._header_check(200, headers, list(headers.items()))):
                    return ImageOutcome(reason=reason, source=source, url=url)
                outcome = self._decoded(data, source, url)
                outcome.alternate = url != first
                if outcome.reason is None or outcome.reason not in _FALLBACK_REJECTIONS:
                    return outcome
                failed = failed or outcome
                tried.add(canonical(url))
        if tried:
            allowed = [u for u in allowed if canonical(u) not in tried]
            if not allowed:
                return failed or ImageOutcome(reason="empty")
        if (refused := self._archived_robots(first)) is not None:  # a crawl's archive: its robots.txt holds
            return ImageOutcome(reason=refused, source="warc", url=first)
        if not (self.network(first) if callable(self.network) else self.network):
            return ImageOutcome(reason=DEFERRED)
        outcome = ImageOutcome(reason="no_url")
        small: ImageOutcome | None = None  # a candidate that decoded, but below candidate_min_side
        tries = allowed[:MAX_NETWORK_CANDIDATES]
        for n, url in enumerate(tries):
            data, source, reason = self._fetch(url)
            if reason is None and data is not None:
                outcome = self._decoded(data, source, url)
                outcome.fallback = n > 0
                if outcome.reason is None:
                    if n + 1 < len(tries) and self._small(outcome):
                        small = small or outcome
                        continue
                    return outcome
                if outcome.reason not in _FALLBACK_REJECTIONS:
                    return small or outcome
            else:
                outcome = ImageOutcome(reason=reason or "empty", source=source, url=url)
                if reason not in _FALLBACK_ERRORS:
                    return small or outcome
        return small or failed or outcome

    def _stores(self) -> list[tuple[str, Callable[[str], tuple[bytes, dict[str, str] | None] | None]]]:
        """(source name, lookup) of the places that hold bytes without a request: archive, cache."""
        stores: list[tuple[str, Callable[[str], tuple[bytes, dict[str, str] | None] | None]]] = []
        if self.archive is not None:
            stores.append(("warc", self.archive.get))
        if self.cache is not None:
            cache = self.cache
            stores.append(("cache", lambda url: (data, None) if (data := cache.get(url)) is not None else None))
        return stores

    def _small(self, outcome: ImageOutcome) -> bool:
        side = self.config.candidate_min_side
        width = outcome.info.get("original_width", outcome.info.get("width", 0))
        height = outcome.info.get("original_height", outcome.info.get("height", 0))
        return bool(side) and min(width or 0, height or 0) < side

    def _decoded(self, data: bytes, source: str, url: str) -> ImageOutcome:
        try:
            if self._decoder is None:
                decoded = decode_image(data, self.config.decode)
            else:
                decoded = self._decoder.submit(decode_image, data, self.config.decode).result()
        except BrokenProcessPool:  # a decoder process died (crash in a codec): count it, go on
            return ImageOutcome(reason="decoder_crashed", source=source, url=url)
        except ImageRejected as exc:
            return ImageOutcome(reason=exc.reason, source=source, url=url)
        decoded.info["source"] = source
        decoded.info["url"] = url
        return ImageOutcome(decoded.data, decoded.info, None, source, url)
