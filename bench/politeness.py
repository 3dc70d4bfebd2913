"""Politeness across a whole run, measured from the server's side: a loopback host logs every request.

Scenario (issue 16): 8 local pages x 12 images on one host (half of each page's images are
shared by every page: 54 distinct URLs, 96 image references), `files_per_partition: 2`
(4 partitions), `per_host_concurrency: 2`, `per_host_delay_s: 0.05`; each image takes
`--image-ms` to serve, so overlapping requests show. `loom run` runs in a subprocess with
1 worker, 4 workers and Ray at 2 workers; the server (in this process) records when each
request started and ended (tests/support/request_log.py).

    python bench/politeness.py [--no-ray] [--image-ms 30] [--crawl-delay 0]

Per run: the most requests in flight to the host at once, the smallest and the mean gap
between two request starts as the server saw them (on a loaded machine a request reaches the
server's clock some ms early or late: "OK" asks, as the tests do, for a mean of at least 0.9x
the delay and at most one gap under half of it), robots.txt requests, and the most requests
for one image URL. Ends with one JSON line: loom = the worst max-in-flight over the runs, baseline
= the configured per_host_concurrency (ratio <= 1: the limit held across the run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.request_log import LoggedSite, figures, jpeg, write_pages  # noqa: E402

PAGES = 8
IMAGES_PER_PAGE = 12
SHARED_PER_PAGE = 6  # of each page's images, this many appear on every page
CONCURRENCY = 2
DELAY_S = 0.05


def image_paths() -> tuple[list[list[str]], dict[str, bytes]]:
    shared = [f"/img/shared-{j}.jpg" for j in range(SHARED_PER_PAGE)]
    per_page = []
    for i in range(PAGES):
        own = [f"/img/p{i}-{j}.jpg" for j in range(IMAGES_PER_PAGE - SHARED_PER_PAGE)]
        per_page.append([p for pair in zip(own, shared) for p in pair])
    paths = sorted({p for page in per_page for p in page})
    return per_page, {path: jpeg(n) for n, path in enumerate(paths)}


def run_one(root: Path, site: LoggedSite, source: dict, executor: dict) -> dict:
    config = {
        "sources": [source],
        "filters": {"enabled": False},
        "images": {"fetch": {"per_host_concurrency": CONCURRENCY, "per_host_delay_s": DELAY_S,
                             "allow_networks": ["127.0.0.0/8"]}},
        "executor": executor,
    }
    name = f"{executor.get('type', 'local')}-{executor.get('workers', 0)}"
    path = root / f"run-{name}.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    out = root / f"out-{name}"
    site.clear()
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "builder.cli", "run", str(path), "--out", str(out), "--overwrite", "--quiet"],
        cwd=root, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"loom run failed ({executor})")
    stats = json.loads((out / "stats.json").read_text())
    result = figures(site.hits)
    result["images_out"] = stats.get("counts", {}).get("image.out", 0)
    result["seconds"] = round(seconds, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--image-ms", type=float, default=30.0)
    parser.add_argument("--crawl-delay", type=float, default=0.0, help="Crawl-delay in robots.txt")
    args = parser.parse_args()
    per_page, images = image_paths()
    robots = "User-agent: *\nAllow: /\n" + (f"Crawl-delay: {args.crawl_delay}\n" if args.crawl_delay else "")
    runs = [("1 worker", {"workers": 1}), ("4 workers", {"workers": 4})]
    if not args.no_ray:
        runs.append(("ray 2", {"type": "ray", "workers": 2}))
    want_gap = max(DELAY_S, args.crawl_delay)
    print(f"scenario: {PAGES} pages x {IMAGES_PER_PAGE} images on one host ({len(images)} distinct URLs), "
          f"files_per_partition 2, per_host_concurrency {CONCURRENCY}, per_host_delay_s {DELAY_S}, "
          f"Crawl-delay {args.crawl_delay or 'none'}")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="loom-politeness-") as tmp, \
            LoggedSite("127.0.0.2", images, robots, args.image_ms / 1000) as site:
        root = Path(tmp)
        source = write_pages(root, [[site.origin + p for p in page] for page in per_page])
        for name, executor in runs:
            result = results[name] = run_one(root, site, source, executor)
            short = sum(1 for gap in result["gaps_s"] if gap < want_gap / 2)
            ok = (result["max_in_flight"] <= CONCURRENCY and short <= 1 and result["mean_gap_s"] >= 0.9 * want_gap
                  and result["robots"] == 1 and result["max_requests_per_image"] == 1)
            print(f"{name:>10}: max in flight {result['max_in_flight']} (limit {CONCURRENCY}), "
                  f"start gaps min {result['min_gap_s']} s / mean {result['mean_gap_s']} s (limit {want_gap}; "
                  f"{short} under half of it), robots.txt {result['robots']}, "
                  f"image requests {result['image_requests']} for {result['image_urls']} URLs "
                  f"(max {result['max_requests_per_image']} per URL), images out {result['images_out']}, "
                  f"{result['seconds']} s  {'OK' if ok else 'VIOLATED'}")
    worst = max(r["max_in_flight"] for r in results.values())
    for result in results.values():
        result.pop("gaps_s")
    print(json.dumps({"bench": "politeness", "unit": "max requests in flight to one host", "loom": worst,
                      "baseline": CONCURRENCY, "ratio": worst / CONCURRENCY,
                      "min_gap_s": min(r["min_gap_s"] or 0 for r in results.values()),
                      "robots_requests": {k: r["robots"] for k, r in results.items()},
                      "max_requests_per_image": {k: r["max_requests_per_image"] for k, r in results.items()},
                      "runs": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
