"""SSRF address rules, X-Robots-Tag scoping, opt-out matching, robots failure rules."""

from __future__ import annotations

import ipaddress

import pytest

from builder.net import OptOutList, SsrfGuard
from builder.net.config import RobotsConfig
from builder.net.robots import RobotsCache, RobotsFetch
from builder.net.ssrf import SsrfBlocked, is_internal
from builder.net.x_robots import directives_for, opt_out_reason


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
     "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::1", "64:ff9b::a00:1"],
)
def test_internal_addresses_are_refused(address):
    assert is_internal(ipaddress.ip_address(address))
    with pytest.raises(SsrfBlocked):
        SsrfGuard().resolve(address, 80)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_pass(address):
    assert SsrfGuard().resolve(address, 80) == [address]


def test_allow_list_opens_loopback_only():
    guard = SsrfGuard(["127.0.0.0/8"])
    assert guard.resolve("127.0.0.5", 80) == ["127.0.0.5"]
    assert guard.resolve("localhost", 80)  # resolves to 127.0.0.1 (and ::1, which stays refused)
    with pytest.raises(SsrfBlocked):
        guard.resolve("10.0.0.1", 80)


def test_x_robots_tag_scopes():
    assert opt_out_reason(["noai"], "loombot") == "noai"
    assert opt_out_reason(["noimageai, nofollow"], "loombot") == "noai"
    assert opt_out_reason(["loombot: noai"], "loombot") == "noai"
    assert opt_out_reason(["otherbot: noai"], "loombot") is None
    assert opt_out_reason(["otherbot: noindex, loombot: noimageai"], "loombot") == "noai"
    assert opt_out_reason(["max-image-preview: large, noimageindex"], "loombot") == "noindex"
    assert opt_out_reason(["none"], "loombot") == "noindex"
    assert opt_out_reason(["googlebot: noindex", "noai"], "loombot") == "noai"  # separate header lines
    assert opt_out_reason(["unavailable_after: 25 Jun 2010 15:00:00 PST"], "loombot") is None
    assert directives_for(["LoomBot: NoAI"], "loombot") == {"noai"}


def test_optout_domains_and_prefixes():
    optout = OptOutList(["example.org", "https://site.net/private/", "other.com/gallery/", "*.cdn.io"])
    assert optout.matches("https://img.example.org/a.jpg")
    assert optout.matches("http://EXAMPLE.org/a.jpg")
    assert not optout.matches("https://notexample.org/a.jpg")
    assert optout.matches("https://site.net/private/x.png")
    assert not optout.matches("https://site.net/public/x.png")
    assert optout.matches("http://other.com/gallery/1.jpg") and optout.matches("https://other.com/gallery/")
    assert optout.matches("https://a.cdn.io/x")


@pytest.mark.parametrize(
    ("fetched", "verdict"),
    [
        (RobotsFetch(200, b"User-agent: *\nDisallow: /x\n"), "robots_disallowed"),
        (RobotsFetch(200, b"User-agent: *\nDisallow:\n"), "allowed"),
        (RobotsFetch(404), "allowed"),
        (RobotsFetch(403), "allowed"),
        (RobotsFetch(429), "robots_unavailable"),
        (RobotsFetch(503), "robots_unavailable"),
        (RobotsFetch(None), "robots_unavailable"),
    ],
)
def test_robots_failure_rules(fetched, verdict):
    calls = []

    def fetch(url: str) -> RobotsFetch:
        calls.append(url)
        return fetched

    cache = RobotsCache(RobotsConfig(), "loombot", fetch)
    assert cache.verdict("http://h.example/x/1.jpg") == verdict
    assert cache.verdict("http://h.example/x/2.jpg") == verdict
    assert calls == ["http://h.example/robots.txt"]  # cached per origin


def test_crawl_delay_is_capped():
    cache = RobotsCache(RobotsConfig(max_crawl_delay_s=5), "loombot",
                        lambda _: RobotsFetch(200, b"User-agent: *\nCrawl-delay: 3600\n"))
    assert cache.crawl_delay("http://h.example/a") == 5
