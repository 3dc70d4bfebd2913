"""Benchmark: loom's crawl source against GNU Wget (`wget -r --warc-file`), both archiving a site as WARC.

A made-up site of N HTML pages (each 3-12 KB of prose with links to 6 other pages, no
images) is served on loopback by a separate process, with a fixed latency per response and
a robots.txt that forbids /private/. Both crawlers start at the home page, go 3 links deep,
obey robots.txt and write a gzip WARC of every response. Wget uses one connection; loom runs
twice: with one request at a time per host (the same politeness as Wget — the headline
ratio), and with 8 per host.

    .venv/bin/python bench/crawl.py [--pages 300] [--latency-ms 20]

Ends with one JSON line; ratio = loom pages/s ÷ wget pages/s (higher is better).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WORDS = ["harbour", "tide", "ledger", "lantern", "orchard", "meadow", "quarry", "ferry", "saddle", "thimble",
         "cobble", "winter", "signal", "beacon", "market", "chapel", "bridge", "furnace", "granary",
         "pasture", "the", "of", "and", "a", "to", "in"]
ROBOTS = "User-agent: *\nDisallow: /private/\n"


def make_site(n: int, seed: int = 0) -> dict[str, bytes]:
    rng = random.Random(seed)
    pages: dict[str, bytes] = {}
    for i in range(n):
        links = sorted({rng.randrange(n) for _ in range(6)})
        anchors = "".join(f'<li><a href="/p/{j}.html">page {j}</a></li>' for j in links)
        if i % 25 == 0:
            anchors += f'<li><a href="/private/{i}.html">private</a></li>'
        prose = "".join("<p>" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(80, 300))) + ".</p>"
                        for _ in range(rng.randint(2, 6)))
        pages[f"/p/{i}.html"] = (f"<!doctype html><html><head><title>Page {i}</title></head><body>"
                                 f"<nav><ul>{anchors}</ul></nav><article>{prose}</article></body></html>").encode()
    pages["/"] = pages["/p/0.html"]
    return pages


def serve(n_pages: int, latency_s: float, ready, port_box) -> None:
    from tests.support.http_server import LoopbackServer, static

    server = LoopbackServer("127.0.0.2")
    server.set_robots(ROBOTS)
    for path, body in make_site(n_pages).items():
        server.route(path, static(body, "text/html; charset=utf-8", delay_s=latency_s))
    port_box.value = server.port
    ready.set()
    while True:
        time.sleep(3600)


def count_pages(warc_dir: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    for path in warc_dir.glob("*.warc.gz"):
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type == "response" and rec.http_headers.get_statuscode() == "200" \
                        and "/p/" in (rec.rec_headers.get_header("WARC-Target-URI") or "") \
                        and "html" in (rec.http_headers.get_header("Content-Type") or ""):
                    n += 1
    return n


def run_wget(origin: str, work: Path) -> tuple[float, int]:
    out = work / "wget"
    out.mkdir()
    start = time.perf_counter()
    subprocess.run(["wget", "-r", "-l", "3", "-q", "-e", "robots=on", "--no-proxy", "-P", str(out / "files"),
                    "--warc-file", str(out / "site"), "--no-warc-keep-log", "-U", "bench-wget (+http://localhost/)",
                    origin + "/"], check=False, timeout=1800)
    return time.perf_counter() - start, count_pages(out)


def run_loom(origin: str, work: Path, per_host: int, threads: int) -> tuple[float, int, dict]:
    from builder.config import parse_config
    from builder.context import RunContext
    from builder.sources import build_sources

    warc_dir = work / f"loom-{per_host}"
    cfg = parse_config({"sources": [{
        "type": "crawl", "urls": [origin + "/"], "max_depth": 3, "max_pages": 100_000, "threads": threads,
        "warc_dir": str(warc_dir),
        "fetch": {"allow_networks": ["127.0.0.0/8"], "per_host_concurrency": per_host, "per_host_delay_s": 0.0},
    }]})
    source = build_sources(cfg)[0]
    ctx = RunContext(cfg)
    start = time.perf_counter()
    n = sum(1 for part in source.partitions() for _ in source.read(part, ctx))
    elapsed = time.perf_counter() - start
    archived = count_pages(warc_dir)
    assert archived >= n - 1, (archived, n)  # the home page is archived as "/" (not under /p/)
    return elapsed, archived, ctx.stats.to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    if shutil.which("wget") is None:
        sys.exit("GNU Wget is not installed")

    ctx = mp.get_context("spawn")
    ready, port = ctx.Event(), ctx.Value("i", 0)
    server = ctx.Process(target=serve, args=(args.pages, args.latency_ms / 1000, ready, port), daemon=True)
    server.start()
    try:
        ready.wait(60)
        origin = f"http://127.0.0.2:{port.value}"
        print(f"site of {args.pages} pages, {args.latency_ms:.0f} ms per response, crawled 3 links deep")
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            t_wget, n_wget = run_wget(origin, work)
            t_loom1, n_loom1, stats = run_loom(origin, work, per_host=1, threads=8)
            t_loom8, n_loom8, _ = run_loom(origin, work, per_host=8, threads=8)
    finally:
        server.terminate()
    rate_wget, rate_loom1, rate_loom8 = n_wget / t_wget, n_loom1 / t_loom1, n_loom8 / t_loom8
    print(f"wget -r --warc-file (1 connection)  : {n_wget:4d} pages in {t_wget:6.2f} s = {rate_wget:6.1f} pages/s")
    print(f"loom crawl, 1 request per host      : {n_loom1:4d} pages in {t_loom1:6.2f} s = {rate_loom1:6.1f} pages/s")
    print(f"loom crawl, 8 requests per host     : {n_loom8:4d} pages in {t_loom8:6.2f} s = {rate_loom8:6.1f} pages/s")
    print(f"loom refused by robots.txt: {stats['drops'].get('record.robots_disallowed', 0)}")
    print(json.dumps({"bench": "crawl", "unit": "pages/s", "loom": round(rate_loom1, 1),
                      "baseline": round(rate_wget, 1), "ratio": round(rate_loom1 / rate_wget, 3),
                      "baseline_name": "GNU Wget -r -l 3 --warc-file", "loom_8_per_host": round(rate_loom8, 1),
                      "pages_loom": n_loom1, "pages_wget": n_wget, "latency_ms": args.latency_ms}))


if __name__ == "__main__":
    main()
