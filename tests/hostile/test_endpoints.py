"""The fetcher against every hostile endpoint of `HostileWeb`: each ends in time with a named reason,
nothing outside the allow-list is contacted, and a Retry-After hold stops every waiting request."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from builder.net import FetchConfig, Fetcher
from tests.hostile.server import FORBIDDEN_TARGETS, HostileWeb
from tests.support.http_server import sequence, static


@pytest.fixture(scope="module")
def web():
    with HostileWeb("127.0.0.10") as web:
        yield web


def fetcher(**overrides) -> Fetcher:
    base = dict(allow_networks=["127.0.0.0/8"], total_timeout_s=2.0, read_timeout_s=1.0, max_bytes=1 << 20,
                backoff_base_s=0.05, per_host_delay_s=0.0)
    base.update(overrides)
    return Fetcher(FetchConfig(**base))


ENDPOINTS = [  # path, expected error (None: fetched), at most seconds
    ("/stall", "timeout", 3.5),
    ("/endless", "too_large", 3.0),
    ("/bomb/gzip", "too_large", 3.0),
    ("/ok.jpg", None, 1.0),
    ("/429", None, 3.0),  # waits out Retry-After: 1, then gets the image
    ("/flaky", None, 3.0),  # 503, 500, then the image
    ("/truncated.jpg", "connection_error", 2.0),
    ("/redirect/chain0", "too_many_redirects", 2.0),
]


@pytest.mark.parametrize(("path", "error", "within_s"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_each_hostile_endpoint_ends_in_time_with_its_reason(web, path, error, within_s):
    with fetcher() as f:
        start = time.monotonic()
        result = f.fetch(web.url(path), kind="image")
        took = time.monotonic() - start
    assert result.error == error, (result.error, result.status)
    assert took < within_s


def test_redirects_towards_addresses_outside_the_allow_list_are_refused_at_every_hop(web):
    def asked() -> int:
        return sum(n for path, n in web.hits.items() if path != "/robots.txt")

    before = asked()
    with fetcher(allow_networks=["127.0.0.10/32"]) as f:
        results = [f.fetch(web.url(f"/redirect/forbidden{i}"), kind="image") for i in range(len(FORBIDDEN_TARGETS))]
    assert {r.error for r in results} == {"ssrf_blocked"}
    # Each redirect was asked once; nothing else was contacted (the targets are not ours to count, but
    # our server saw exactly these requests).
    assert asked() - before == len(FORBIDDEN_TARGETS)
    assert all(web.hits[f"/redirect/forbidden{i}"] >= 1 for i in range(len(FORBIDDEN_TARGETS)))


def test_wrong_type_and_pixel_bomb_are_refused_by_the_image_stage_rules(web):
    from builder.images.config import ImagesConfig
    from builder.images.source import ImageSource

    config = ImagesConfig(fetch={"allow_networks": ["127.0.0.0/8"], "per_host_delay_s": 0.0})
    with Fetcher(config.fetch) as f:
        source = ImageSource(config, f, None, None)
        assert source.get(web.url("/wrong-type.jpg")).reason == "wrong_content_type"
        assert source.get(web.url("/bomb/pixels.png")).reason is not None


def test_a_retry_after_hold_stops_requests_already_waiting_for_their_start(web):
    # The 429 comes 0.2 s late, when the queued requests already hold start times 0.25 s apart.
    web.route("/hold", sequence(static(b"", "text/plain", 429, {"Retry-After": "1"}, delay_s=0.2),
                                static(b"x", "image/jpeg")))
    for i in range(3):
        web.route(f"/queued{i}", static(b"x", "image/jpeg"))
    with fetcher(per_host_delay_s=0.25, retries=1) as f, ThreadPoolExecutor(4) as pool:
        first = pool.submit(f.fetch, web.url("/hold"), "image")
        time.sleep(0.05)  # the 429 goes first; the others queue behind it at 0.25 s steps
        queued = [pool.submit(f.fetch, web.url(f"/queued{i}"), "image") for i in range(3)]
        assert first.result().ok and all(q.result().ok for q in queued)
    times = dict((path, t) for t, path in web.server.times if path in {"/hold"} | {f"/queued{i}" for i in range(3)})
    held = min(t for t, path in web.server.times if path == "/hold") + 0.2  # when the 429 was sent
    assert all(times[f"/queued{i}"] >= held + 0.95 for i in range(3)), str({k: v - held for k, v in times.items()})


def test_crawl_delay_is_honoured_between_requests(web):
    from tests.support.http_server import LoopbackServer

    with LoopbackServer("127.0.0.11") as slow:
        slow.set_robots("User-agent: *\nCrawl-delay: 0.5\n")
        for i in range(4):
            slow.route(f"/p{i}.jpg", static(b"x", "image/jpeg"))
        with fetcher() as f, ThreadPoolExecutor(4) as pool:
            assert all(r.ok for r in pool.map(lambda i: f.fetch(slow.url(f"/p{i}.jpg"), "image"), range(4)))
        starts = sorted(t for t, path in slow.times if path != "/robots.txt")
    assert min(b - a for a, b in zip(starts, starts[1:])) >= 0.35  # 0.5, less the jitter of a busy machine
