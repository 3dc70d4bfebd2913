"""The fetching layer against real loopback servers with hostile endpoints."""

from __future__ import annotations

import resource
import time

import pytest

from builder.net import FetchConfig, Fetcher, OptOutList
from builder.net.fetcher import parse_retry_after
from tests.factories import image_bytes
from tests.support.http_server import (
    LoopbackHosts,
    endless,
    gzip_bomb,
    redirect,
    sequence,
    slow_drip,
    static,
    status,
)

JPEG = image_bytes(64, 48, fmt="JPEG")


def config(**overrides) -> FetchConfig:
    base = dict(
        allow_networks=["127.0.0.0/8"], total_timeout_s=2.0, read_timeout_s=1.0, max_bytes=1 << 20,
        backoff_base_s=0.05, per_host_delay_s=0.0,
    )
    base.update(overrides)
    return FetchConfig(**base)


@pytest.fixture(scope="module")
def hosts():
    with LoopbackHosts(4) as hosts:
        a = hosts[0]
        a.route("/a.jpg", static(JPEG, "image/jpeg"))
        a.route("/drip", slow_drip(total_bytes=1000, rate_bytes_per_s=1))
        a.route("/endless", endless())
        a.route("/bomb", gzip_bomb(64 << 20))
        a.route("/loop1", redirect("/loop2"))
        a.route("/loop2", redirect("/loop1"))
        a.route("/to-blocked", redirect("http://10.1.2.3/x.jpg"))
        a.route("/to-b", redirect(hosts[1].url("/ok.jpg"), 301))
        for i in range(8):
            a.route(f"/chain{i}", redirect(f"/chain{i + 1}"))
        a.route("/429", sequence(status(429, {"Retry-After": "1"}), static(JPEG, "image/jpeg")))
        a.route("/429-long", status(429, {"Retry-After": "3600"}))
        a.route("/503", sequence(status(503), status(503), static(JPEG, "image/jpeg")))
        a.route("/500-always", status(500))
        b = hosts[1]
        b.set_robots("User-agent: *\nDisallow: /private\n\nUser-agent: loombot\nDisallow: /no-loom\n"
                     "Crawl-delay: 0.4\n")
        b.route("/ok.jpg", static(JPEG, "image/jpeg"))
        b.route("/private/x.jpg", static(JPEG, "image/jpeg"))
        b.route("/no-loom/x.jpg", static(JPEG, "image/jpeg"))
        hosts[2].route("/robots.txt", status(503))
        hosts[2].route("/x.jpg", static(JPEG, "image/jpeg"))
        hosts[3].route("/robots.txt", status(404))
        hosts[3].route("/x.jpg", static(JPEG, "image/jpeg"))
        yield hosts


@pytest.fixture(scope="module")
def fetcher():
    with Fetcher(config()) as f:
        yield f


def timed(fetcher: Fetcher, url: str):
    start = time.monotonic()
    result = fetcher.fetch(url, kind="image")
    return result, time.monotonic() - start


def test_plain_fetch_sends_honest_user_agent(hosts, fetcher):
    result = fetcher.fetch(hosts[0].url("/a.jpg"), kind="image")
    assert result.ok and result.status == 200 and result.body == JPEG
    agent = [h for p, h in hosts[0].log if p == "/a.jpg"][-1]["User-Agent"]
    assert agent.startswith("loombot/") and "http" in agent and "Mozilla" not in agent


@pytest.mark.parametrize(
    ("path", "reason", "within_s"),
    [
        ("/drip", "timeout", 4.0),
        ("/endless", "too_large", 3.0),
        ("/bomb", "too_large", 3.0),
        ("/loop1", "redirect_loop", 2.0),
        ("/chain0", "too_many_redirects", 2.0),
        ("/to-blocked", "ssrf_blocked", 2.0),
        ("/429-long", "http_429", 2.0),
        ("/500-always", "http_500", 3.0),
        ("/missing", "http_404", 2.0),
    ],
)
def test_hostile_endpoints_end_in_time_with_reason(hosts, fetcher, path, reason, within_s):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result, took = timed(fetcher, hosts[0].url(path))
    assert result.error == reason
    assert took < within_s
    assert result.body == b""
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 64  # the 64 MiB bomb and the endless body never sit in memory


def test_retry_after_is_honoured(hosts, fetcher):
    result, took = timed(fetcher, hosts[0].url("/429"))
    assert result.ok and result.attempts == 2
    assert 0.9 <= took < 3


def test_503_then_success(hosts, fetcher):
    result = fetcher.fetch(hosts[0].url("/503"), kind="image")
    assert result.ok and result.attempts == 3 and result.body == JPEG


def test_redirect_to_other_host_is_followed(hosts, fetcher):
    result = fetcher.fetch(hosts[0].url("/to-b"), kind="image")
    assert result.ok and result.final_url == hosts[1].url("/ok.jpg")


def test_robots_disallow_and_crawl_delay(hosts):
    robots_before = hosts[1].hits["/robots.txt"]
    with Fetcher(config()) as f:
        # The loombot group is the only one that applies to us (RFC 9309), so /private is allowed.
        assert f.fetch(hosts[1].url("/no-loom/x.jpg")).error == "robots_disallowed"
        assert f.fetch(hosts[1].url("/private/x.jpg")).ok
        start = time.monotonic()
        for _ in range(3):
            assert f.fetch(hosts[1].url("/ok.jpg")).ok
        assert time.monotonic() - start >= 0.75  # Crawl-delay 0.4 s between starts
    assert hosts[1].hits["/no-loom/x.jpg"] == 0
    assert hosts[1].hits["/robots.txt"] == robots_before + 1  # fetched once per host, then cached


def test_robots_star_group_applies_without_our_group():
    from tests.support.http_server import LoopbackServer

    with LoopbackServer("127.0.0.9") as server, Fetcher(config()) as f:
        server.set_robots("User-agent: *\nDisallow: /private\n")
        server.route("/private/x.jpg", static(JPEG, "image/jpeg"))
        assert f.fetch(server.url("/private/x.jpg")).error == "robots_disallowed"
        assert server.hits["/private/x.jpg"] == 0


def test_robots_5xx_disallows_and_4xx_allows(hosts):
    with Fetcher(config()) as f:
        assert f.fetch(hosts[2].url("/x.jpg")).error == "robots_unavailable"
        assert f.fetch(hosts[3].url("/x.jpg")).ok
    assert hosts[2].hits["/x.jpg"] == 0


def test_ssrf_guard_blocks_loopback_by_default(hosts):
    with Fetcher(FetchConfig()) as f:
        assert f.fetch(hosts[0].url("/a.jpg")).error == "ssrf_blocked"
        assert f.fetch("http://[::1]/x").error == "ssrf_blocked"
        assert f.fetch("http://169.254.169.254/latest/meta-data").error == "ssrf_blocked"
        assert f.fetch("ftp://example.org/x").error == "bad_scheme"


def test_optout_list(hosts, tmp_path):
    listing = tmp_path / "optout.txt"
    listing.write_text(f"# opt-outs\n{hosts[0].host}\nhttp://{hosts[1].host}:{hosts[1].port}/ok\n")
    optout = OptOutList.from_file(listing)
    assert optout.matches(hosts[0].url("/anything")) and optout.matches(hosts[1].url("/ok.jpg"))
    assert not optout.matches(hosts[1].url("/other.jpg"))
    with Fetcher(config(optout_file=str(listing))) as f:
        assert f.fetch(hosts[0].url("/a.jpg")).error == "opted_out"
        assert f.fetch(hosts[0].url("/to-b")).error == "opted_out"


def test_per_host_concurrency_limit(hosts):
    from concurrent.futures import ThreadPoolExecutor

    hosts[3].route("/slow.jpg", static(JPEG, "image/jpeg", delay_s=0.3))
    with Fetcher(config(per_host_concurrency=2)) as f, ThreadPoolExecutor(8) as pool:
        f.fetch(hosts[3].url("/x.jpg"))  # warm robots
        start = time.monotonic()
        results = list(pool.map(lambda _: f.fetch(hosts[3].url("/slow.jpg")), range(6)))
        took = time.monotonic() - start
    assert all(r.ok for r in results)
    assert took >= 0.85  # 6 requests, 2 at a time, 0.3 s each


def test_parse_retry_after():
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_user_agent_refuses_impersonation():
    with pytest.raises(ValueError):
        FetchConfig(user_agent="Mozilla/5.0 (compatible; Googlebot/2.1)")
    with pytest.raises(ValueError):
        FetchConfig(user_agent="mybot/1.0")  # no contact URL
    assert FetchConfig(robots_token="mybot", user_agent="mybot/1.0 (+https://example.org/bot)").user_agent


def test_connection_goes_to_the_address_the_guard_checked(hosts):
    # "pinned.test" does not exist in DNS: the request can only succeed by connecting to the
    # address the guard returned, which is what closes the DNS-rebinding gap.
    with Fetcher(config()) as f:
        f.guard._lookup = lambda host, port: [hosts[0].host]  # type: ignore[method-assign]
        result = f.fetch(f"http://pinned.test:{hosts[0].port}/a.jpg")
    assert result.ok and result.body == JPEG


def test_rebinding_to_a_blocked_address_is_refused_at_connect(hosts):
    answers = iter([[hosts[0].host], ["10.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]])
    with Fetcher(config(dns_cache_ttl_s=0, robots={"obey": False})) as f:
        f.guard._lookup = lambda host, port: next(answers)  # type: ignore[method-assign]
        result = f.fetch(f"http://rebind.test:{hosts[0].port}/a.jpg")
    assert result.error == "ssrf_blocked"
