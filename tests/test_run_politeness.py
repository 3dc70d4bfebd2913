"""Politeness holds for the whole run, not per worker: measured on the server's own request log.

Two loopback sites (one with a Crawl-delay), 8 pages over 4 partitions, images shared between
pages. With 4 local workers and with Ray at 2 workers: at most `per_host_concurrency` requests
in flight per host, request starts max(per_host_delay_s, Crawl-delay) apart on average and never
less than 3/4 of it (jitter: when a request reaches the server's clock), robots.txt once per host, every
distinct image URL requested once, and every image reference filled.
"""

from __future__ import annotations

import pytest

from builder.config import parse_config
from builder.pipeline import run_pipeline
from tests.support.request_log import LoggedSite, figures, jpeg, write_pages

CONCURRENCY = 2
DELAY_S = 0.2
CRAWL_DELAY_S = 0.3
JITTER = 0.25  # of a delay: when a request reaches the server's clock varies on a loaded machine


@pytest.fixture(scope="module")
def sites():
    # Site A: 14 images, slower to serve than the delay (so the cap is reached and a missing one shows).
    a_images = {f"/a/{i}.jpg": jpeg(i) for i in range(14)}
    b_images = {f"/b/{i}.jpg": jpeg(100 + i) for i in range(6)}
    with LoggedSite("127.0.0.2", a_images, image_s=0.25) as a, \
            LoggedSite("127.0.0.3", b_images, robots=f"User-agent: *\nCrawl-delay: {CRAWL_DELAY_S}\n",
                       image_s=0.01) as b:
        SITES[:] = [a, b]
        yield a, b


def page_images(a: LoggedSite, b: LoggedSite) -> list[list[str]]:
    """8 pages: up to 2 images of their own on A, 2 shared by every page on A, and 1 of 6 on B."""
    pages = []
    for i in range(8):
        own = [f"{a.origin}/a/{2 * i + j}.jpg" for j in range(2) if 2 * i + j < 12]
        shared = [f"{a.origin}/a/{12 + j}.jpg" for j in range(2)]
        pages.append([*own, *shared, f"{b.origin}/b/{i % 6}.jpg"])
    return pages


def run(tmp_path, sites, executor: dict):
    a, b = sites
    a.clear()
    b.clear()
    source = write_pages(tmp_path, page_images(a, b), files_per_partition=2)
    config = parse_config({
        "sources": [source], "filters": {"enabled": False},
        "images": {"fetch": {"per_host_concurrency": CONCURRENCY, "per_host_delay_s": DELAY_S,
                             "allow_networks": ["127.0.0.0/8"], "retries": 0}},
        "executor": executor})
    summary = run_pipeline(config, tmp_path / "out")
    return summary, figures(a.hits), figures(b.hits)


SITES: list[LoggedSite] = []


def check(summary, fig_a, fig_b):
    assert summary.partitions == 4 and not summary.failed
    refs = sum(len(page) for page in page_images(*SITES))
    assert summary.stats.counts["image.out"] == refs  # every reference filled from one fetch
    for fig, gap in ((fig_a, DELAY_S), (fig_b, CRAWL_DELAY_S)):
        assert fig["max_in_flight"] <= CONCURRENCY, fig
        assert fig["min_gap_s"] >= gap * (1 - JITTER), fig
        assert fig["mean_gap_s"] >= gap * 0.98, fig  # jitter does not add up: the rate holds strictly
        assert fig["robots"] == 1, fig
        assert fig["max_requests_per_image"] == 1, fig
    assert fig_a["image_urls"] == 14 and fig_b["image_urls"] == 6
    assert fig_a["max_in_flight"] == CONCURRENCY  # the cap is reached, not avoided by running serially


def test_four_local_workers_share_one_budget_per_host(tmp_path, sites):
    check(*run(tmp_path, sites, {"workers": 4}))


def test_ray_two_workers_share_one_budget_per_host(tmp_path, sites):
    pytest.importorskip("ray")
    check(*run(tmp_path, sites, {"type": "ray", "workers": 2}))
