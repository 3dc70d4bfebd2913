"""Politeness across a whole run, measured from the server's side: a loopback host logs every request.

Scenario (issue 16): 8 local pages x 12 images on one host (half of each page's images are
shared by every page), `files_per_partition: 2` (4 partitions), `per_host_concurrency: 2`,
`per_host_delay_s: 0.05`; each image takes `--image-ms` to serve, so overlapping requests
show. `loom run` runs in a subprocess with 1 worker, 4 workers and Ray at 2 workers; the
server (in this process) records when each request started and ended.

    python bench/politeness.py [--no-ray] [--image-ms 30] [--crawl-delay 0]

For each run it prints: the most requests in flight to the host at once, the smallest gap
between two request starts, robots.txt requests, and the most requests for one image URL.
Ends with one JSON line: loom = the worst max-in-flight over the runs, baseline = the
configured per_host_concurrency (ratio <= 1 means the limit held across the run).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGES = 8
IMAGES_PER_PAGE = 12
SHARED_PER_PAGE = 6  # of each page's images, this many appear on every page
CONCURRENCY = 2
DELAY_S = 0.05


@dataclass
class Hit:
    path: str
    start: float
    end: float = 0.0


class LoggingServer(ThreadingHTTPServer):
    """One host: robots.txt, images (each after `image_s`), everything logged with start/end times."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, host: str, images: dict[str, bytes], robots: str, image_s: float) -> None:
        super().__init__((host, 0), _Handler)
        self.images, self.robots, self.image_s = images, robots, image_s
        self.hits: list[Hit] = []
        self.lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoggingServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        hit = Hit(self.path, time.monotonic())
        with self.server.lock:
            self.server.hits.append(hit)
        if self.path == "/robots.txt":
            body, kind, status = self.server.robots.encode(), "text/plain", 200
        elif self.path in self.server.images:
            time.sleep(self.server.image_s)
            body, kind, status = self.server.images[self.path], "image/jpeg", 200
        else:
            body, kind, status = b"not found", "text/plain", 404
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        hit.end = time.monotonic()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def jpeg(seed: int) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (96, 96), ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    for x in range(0, 96, 8):  # a pattern of its own, so no two images share a phash
        for y in range(0, 96, 8):
            if (x * 7 + y * 3 + seed) % 5 < 2:
                image.paste((seed % 256, 255 - seed % 256, (x + y) % 256), (x, y, x + 8, y + 8))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def image_paths() -> tuple[list[list[str]], dict[str, bytes]]:
    per_page = []
    images: dict[str, bytes] = {}
    shared = [f"/img/shared-{j}.jpg" for j in range(SHARED_PER_PAGE)]
    for i in range(PAGES):
        own = [f"/img/p{i}-{j}.jpg" for j in range(IMAGES_PER_PAGE - SHARED_PER_PAGE)]
        per_page.append([p for pair in zip(own, shared) for p in pair])
    for n, path in enumerate(sorted({p for page in per_page for p in page})):
        images[path] = jpeg(n)
    return per_page, images


def write_inputs(root: Path, origin: str, per_page: list[list[str]]) -> None:
    pages = root / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, paths in enumerate(per_page):
        body = [f"<h1>Page {i} of the politeness test</h1>"]
        for j, path in enumerate(paths):
            body.append(f"<p>Paragraph {j} of page {i}: a sentence long enough to be kept as text by "
                        f"the extractor, with a few more words about figure {j}.</p>")
            body.append(f'<img src="{origin}{path}" alt="figure {j}" width="96" height="96">')
        (pages / f"page{i}.html").write_text(f"<html><head><title>Page {i}</title></head><body>"
                                            f"{''.join(body)}</body></html>", encoding="utf-8")
        lines.append(f"pages/page{i}.html\t{origin}/page{i}.html")
    (root / "urls.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_config(root: Path, executor: dict, crawl_delay: float) -> Path:
    del crawl_delay  # served by robots.txt; kept in the signature for clarity of the call sites
    config = {
        "sources": [{"type": "html", "paths": ["pages"], "urls": "urls.tsv", "files_per_partition": 2}],
        "filters": {"enabled": False},
        "images": {"fetch": {"per_host_concurrency": CONCURRENCY, "per_host_delay_s": DELAY_S,
                             "allow_networks": ["127.0.0.0/8"]}},
        "executor": executor,
    }
    path = root / f"run-{executor.get('type', 'local')}-{executor.get('workers', 0)}.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def in_flight(hits: list[Hit]) -> int:
    events = sorted([(h.start, 1) for h in hits] + [(h.end, -1) for h in hits], key=lambda e: (e[0], e[1]))
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return peak


def figures(hits: list[Hit]) -> dict:
    starts = sorted(h.start for h in hits)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    image_hits = Counter(h.path for h in hits if h.path.startswith("/img/"))
    return {
        "requests": len(hits),
        "max_in_flight": in_flight(hits),
        "min_gap_s": round(min(gaps), 3) if gaps else None,
        "robots": sum(1 for h in hits if h.path == "/robots.txt"),
        "image_urls": len(image_hits),
        "max_requests_per_image": max(image_hits.values()) if image_hits else 0,
        "image_requests": sum(image_hits.values()),
    }


def run_one(root: Path, server: LoggingServer, executor: dict, crawl_delay: float) -> dict:
    config = write_config(root, executor, crawl_delay)
    out = root / f"out-{config.stem}"
    with server.lock:
        server.hits.clear()
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "builder.cli", "run", str(config), "--out", str(out), "--overwrite", "--quiet"],
        cwd=root, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"loom run failed ({executor})")
    stats = json.loads((out / "stats.json").read_text())
    with server.lock:
        result = figures(list(server.hits))
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
    robots = "User-agent: *\nAllow: /\n"
    if args.crawl_delay:
        robots += f"Crawl-delay: {args.crawl_delay}\n"
    server = LoggingServer("127.0.0.2", images, robots, args.image_ms / 1000)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    origin = f"http://127.0.0.2:{server.server_address[1]}"
    runs = [("1 worker", {"workers": 1}), ("4 workers", {"workers": 4})]
    if not args.no_ray:
        runs.append(("ray 2", {"type": "ray", "workers": 2}))
    want_gap = max(DELAY_S, args.crawl_delay)
    print(f"scenario: {PAGES} pages x {IMAGES_PER_PAGE} images on one host ({len(images)} distinct URLs), "
          f"files_per_partition 2, per_host_concurrency {CONCURRENCY}, per_host_delay_s {DELAY_S}, "
          f"Crawl-delay {args.crawl_delay or 'none'}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="loom-politeness-") as tmp:
        root = Path(tmp)
        write_inputs(root, origin, per_page)
        for name, executor in runs:
            result = run_one(root, server, executor, args.crawl_delay)
            results[name] = result
            ok = (result["max_in_flight"] <= CONCURRENCY and (result["min_gap_s"] or 0) >= want_gap - 0.002
                  and result["robots"] == 1 and result["max_requests_per_image"] == 1)
            print(f"{name:>10}: max in flight {result['max_in_flight']} (limit {CONCURRENCY}), "
                  f"min start gap {result['min_gap_s']} s (limit {want_gap}), robots.txt {result['robots']}, "
                  f"image requests {result['image_requests']} for {result['image_urls']} URLs "
                  f"(max {result['max_requests_per_image']} per URL), images out {result['images_out']}, "
                  f"{result['seconds']} s  {'OK' if ok else 'VIOLATED'}")
    server.shutdown()
    worst = max(r["max_in_flight"] for r in results.values())
    print(json.dumps({"bench": "politeness", "unit": "max requests in flight to one host", "loom": worst,
                      "baseline": CONCURRENCY, "ratio": worst / CONCURRENCY,
                      "min_gap_s": min(r["min_gap_s"] or 0 for r in results.values()),
                      "robots_requests": {k: r["robots"] for k, r in results.items()},
                      "max_requests_per_image": {k: r["max_requests_per_image"] for k, r in results.items()},
                      "runs": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
