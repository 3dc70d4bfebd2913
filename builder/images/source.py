"""Where an image's bytes come from, in order: the page's archive, the disk cache, the network."""

from __future__ import annotations

import base64
import binascii
import contextlib
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

from builder.context import ImageArchive
from builder.images.cache import ImageCache
from builder.images.config import ImagesConfig
from builder.images.decode import decode_image
from builder.images.errors import ImageRejected
from builder.images.policy import response_opt_out
from builder.net.fetcher import Fetcher


@dataclass
class ImageOutcome:
    """The stored bytes and info of one image, or the reason it was dropped."""

    data: bytes | None = None
    info: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    source: str | None = None  # warc, cache, http, inline


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
    ) -> None:
        self.config = config
        self.fetcher = fetcher
        self.cache = cache
        self.archive = archive
        self._decoder = decoder  # None: decode on the calling thread

    def _header_check(self, status: int, headers: Any, items: list[tuple[str, str]]) -> str | None:
        return response_opt_out(headers, items, self.config.policy, self.config.fetch.robots_token)

    def _bytes(self, url: str) -> tuple[bytes | None, str, str | None]:
        """(bytes, source, reason)."""
        if url.startswith("data:"):
            try:
                return _data_uri(url), "inline", None
            except (binascii.Error, ValueError):
                return None, "inline", "bad_data_uri"
        if self.fetcher.optout.matches(url):
            return None, "policy", "opted_out"
        if self.archive is not None:
            archived = self.archive.get(url)
            if archived is not None:
                payload, headers = archived
                reason = self._header_check(200, headers, list(headers.items()))
                return (None if reason else payload), "warc", reason
        if self.cache is not None:
            cached = self.cache.get(url)
            if cached is not None:
                return cached, "cache", None
        result = self.fetcher.fetch(url, kind="image", check_headers=self._header_check)
        if not result.ok:
            return None, "http", result.error
        if self.cache is not None:
            with contextlib.suppress(OSError):  # a full or read-only cache must not lose the image
                self.cache.put(url, result.body)
        return result.body, "http", None

    def get(self, url: str) -> ImageOutcome:
        data, source, reason = self._bytes(url)
        if reason is not None or data is None:
            return ImageOutcome(reason=reason or "empty", source=source)
        try:
            if self._decoder is None:
                decoded = decode_image(data, self.config.decode)
            else:
                decoded = self._decoder.submit(decode_image, data, self.config.decode).result()
        except BrokenProcessPool:  # a decoder process died (crash in a codec): count it, go on
            return ImageOutcome(reason="decoder_crashed", source=source)
        except ImageRejected as exc:
            return ImageOutcome(reason=exc.reason, source=source)
        decoded.info["source"] = source
        return ImageOutcome(decoded.data, decoded.info, None, source)
