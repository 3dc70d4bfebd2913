"""Politeness holds for the whole run, not per worker: measured on the server's own request log.

With 4 local workers (Ray at 2 workers: tests/test_executors_ray.py), on two loopback sites
(tests/support/politeness_run.py): at most `per_host_concurrency` requests in flight per host,
request starts max(per_host_delay_s, Crawl-delay) apart on average and none closer than half
of it but for one straggler (the jitter of when a request reaches the server's clock on a
loaded machine; tests/support/politeness_run.py), robots.txt once per host, every distinct
image URL requested once, every image reference filled. Then a run killed with SIGKILL in its
fetch phase resumes without fetching a committed image again, to the uninterrupted output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from builder.config import parse_config
from builder.errors import OutputBusy
from builder.phases.store import read_journal
from builder.pipeline import run_pipeline
from tests.support.politeness_run import MEAN_GAP, check_polite, polite_config, polite_sites, run_polite, short_gaps
from tests.support.request_log import LoggedSite, figures, jpeg
from tests.support.warc_partitions import output_samples

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sites():
    with polite_sites() as pair:
        yield pair


def test_four_local_workers_share_one_budget_per_host(tmp_path, sites):
    check_polite(run_polite(tmp_path, sites, {"workers": 4}), sites)


def committed_urls(out: Path) -> set[str]:
    """Every URL of every image fetch job the killed run had committed (its journal lines)."""
    urls: set[str] = set()
    for journal in (out / "_loom" / "fetch" / "index").glob("*.jsonl"):
        urls.update(u for job in read_journal(journal.parent.parent, int(journal.stem)) for u in job)
    return urls


def resume(config: dict, out: Path):
    """Run again; the killed run's workers may hold the output's lock for a moment as they die."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return run_pipeline(parse_config(config), out)
        except OutputBusy:
            assert time.monotonic() < deadline, "the killed run's processes still hold the output"
            time.sleep(0.2)


def test_sigkill_in_the_fetch_phase_resumes_without_fetching_again(tmp_path, sites):
    a, b = sites
    config = polite_config(tmp_path, a, b, {"workers": 2})
    reference = run_pipeline(parse_config(config), tmp_path / "reference")
    assert not reference.failed
    (tmp_path / "run.json").write_text(json.dumps(config))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "builder.cli", "run", str(tmp_path / "run.json"), "--out", str(out), "--quiet"],
        cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 120
    while len(committed_urls(out)) < 8:  # a few images of site A committed, more to come (14 in all)
        assert proc.poll() is None, "the run finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    committed = committed_urls(out)
    a.clear()
    b.clear()
    resumed = resume(config, out)
    fetched_again = {h.path for site in (a, b) for h in site.hits} & {urlsplit(u).path for u in committed}
    assert not fetched_again, f"committed images fetched again: {sorted(fetched_again)}"
    assert output_samples(out) == output_samples(tmp_path / "reference")
    assert resumed.stats.counts["image.out"] == reference.stats.counts["image.out"]


def test_a_crawl_shares_one_budget_between_its_pages_and_its_images(tmp_path):
    """The crawl's pages and the site's images go through one fetcher: Crawl-delay holds between all of them."""
    delay = 0.3
    images = {f"/img/{i}.jpg": jpeg(200 + i) for i in range(6)}
    body = "<p>A paragraph long enough to be kept as the text of this crawled page, with some words.</p>"
    pages = {"/": "<html><body>" + body + "".join(f'<a href="/p{i}">page {i}</a>' for i in range(3)) + "</body></html>"}
    for i in range(3):
        pages[f"/p{i}"] = (f"<html><body><h1>Page {i}</h1>{body}" + "".join(
            f'<img src="/img/{2 * i + j}.jpg" width="96" height="96">' for j in range(2)) + "</body></html>")
    with LoggedSite("127.0.0.4", images, robots=f"User-agent: *\nCrawl-delay: {delay}\n", image_s=0.01,
                    pages=pages) as site:
        fetch = {"allow_networks": ["127.0.0.0/8"], "per_host_delay_s": 0.05, "per_host_concurrency": 2}
        config = parse_config({
            "sources": [{"type": "crawl", "urls": [site.origin + "/"], "max_depth": 1, "fetch": fetch}],
            "filters": {"enabled": False}, "images": {"fetch": fetch}, "executor": {"workers": 2}})
        summary = run_pipeline(config, tmp_path / "out")
        fig = figures(site.hits)
    assert not summary.failed and summary.stats.counts["image.out"] == 6
    assert fig["requests"] == 1 + 4 + 6 and fig["robots"] == 1 and fig["max_requests_per_image"] == 1, fig
    assert short_gaps(fig, delay) <= 1 and fig["mean_gap_s"] >= delay * MEAN_GAP, fig
