"""The hard deadline holds for every response framing, in the image fetcher, the crawl and remote WARC reading.

Each endpoint sends one byte a second: no per-read timeout ever trips, only the total
deadline (2 s here) can end the request. Before the fix, a close-delimited, chunked or
gzip-encoded drip was read for as long as the server kept sending (http.client drops its
socket reference once the headers of a close-delimited response arrive).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pytest

from builder.config import parse_config
from builder.context import RunContext
from builder.errors import SourceError
from builder.net import FetchConfig, Fetcher, FetchResult
from builder.sources import build_sources
from builder.sources.config import RemoteConfig
from builder.sources.remote import RemoteError, RemoteReader
from tests.hostile.server import HostileWeb, drip

FRAMINGS = ("length", "close", "chunked", "gzip")
DEADLINE_S = 2.0
SLACK_S = 1.5  # thread wake-up and the socket shutdown on a busy 2-core machine


@pytest.fixture(scope="module")
def web():
    with HostileWeb("127.0.0.9") as web:
        for framing in FRAMINGS:
            web.route(f"/page/{framing}", drip(framing, content_type="text/html"))
        yield web


def in_parallel(work: Callable[[str], object]) -> dict[str, tuple[object, float]]:
    """`work(framing)` for every framing at once (each on its own thread): (result or exception, seconds)."""

    def timed(framing: str) -> tuple[object, float]:
        start = time.monotonic()
        try:
            value: object = work(framing)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            value = exc
        return value, time.monotonic() - start

    with ThreadPoolExecutor(len(FRAMINGS)) as pool:
        return dict(zip(FRAMINGS, pool.map(timed, FRAMINGS)))


def test_image_fetch_is_cut_at_the_deadline_in_every_framing(web):
    cfg = FetchConfig(allow_networks=["127.0.0.0/8"], total_timeout_s=DEADLINE_S, read_timeout_s=5.0,
                      retries=1, per_host_delay_s=0.0)
    with Fetcher(cfg) as fetcher:
        outcomes = in_parallel(lambda framing: fetcher.fetch(web.url(f"/drip/{framing}"), kind="image"))
    for framing, (result, took) in outcomes.items():
        assert isinstance(result, FetchResult), framing
        assert (result.error, result.deadline_hit, result.attempts) == ("timeout", True, 1), framing
        assert DEADLINE_S - 0.1 <= took < DEADLINE_S + SLACK_S, (framing, took)


def test_crawl_page_is_cut_at_the_deadline_in_every_framing(web, tmp_path):
    cfg = parse_config({"sources": [{
        "type": "crawl", "urls": [web.url(f"/page/{f}") for f in FRAMINGS], "warc_dir": str(tmp_path / "warc"),
        "threads": 4,
        "fetch": {"allow_networks": ["127.0.0.0/8"], "total_timeout_s": DEADLINE_S, "read_timeout_s": 5.0,
                  "per_host_delay_s": 0.0, "per_host_concurrency": 4, "retries": 1}}]})
    source = build_sources(cfg)[0]
    ctx = RunContext(cfg)
    start = time.monotonic()
    pages = [p for part in source.partitions() for p in source.read(part, ctx)]
    took = time.monotonic() - start
    assert pages == []
    assert ctx.stats.drops["record.timeout"] == len(FRAMINGS)
    assert took < DEADLINE_S + SLACK_S + 1.0  # + robots.txt and the WARC


def test_remote_warc_stream_is_cut_at_the_deadline_in_every_framing(web):
    def read(framing: str) -> object:
        cfg = parse_config({"sources": [{"type": "warc", "paths": [web.url(f"/drip/{framing}")],
                                         "remote": {"allow_networks": ["127.0.0.0/8"], "retries": 1,
                                                    "total_timeout_s": DEADLINE_S, "read_timeout_s": 5.0}}]})
        source = build_sources(cfg)[0]
        ctx = RunContext(cfg)
        return [p for part in source.partitions() for p in source.read(part, ctx)]

    for framing, (error, took) in in_parallel(read).items():
        assert isinstance(error, SourceError) and "longer than 2 s" in str(error), (framing, error)
        assert took < DEADLINE_S + SLACK_S, (framing, took)


def test_remote_byte_range_is_cut_at_the_deadline_in_every_framing(web):
    cfg = RemoteConfig(allow_networks=["127.0.0.0/8"], retries=1, total_timeout_s=DEADLINE_S, read_timeout_s=5.0)
    with RemoteReader(cfg) as reader:
        outcomes = in_parallel(lambda framing: reader.read_range(web.url(f"/drip/{framing}"), 0, 300))
    for framing, (error, took) in outcomes.items():
        assert isinstance(error, RemoteError) and error.reason == "timeout", (framing, error)
        assert took < DEADLINE_S + SLACK_S, (framing, took)
