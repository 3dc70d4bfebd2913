"""A loopback site that logs when each request started and ended, and the politeness figures of that log.

    site = LoggedSite("127.0.0.2", images={"/img/a.jpg": jpeg}, robots="User-agent: *\\n", image_s=0.05)
    ...run loom...
    figures(site.hits)  # max in flight, smallest start gap, robots.txt requests, requests per image URL

Times are the server's own (`time.monotonic` when the handler starts and when the body is
written): what the site owner would see. Nothing here binds a non-loopback address.
"""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Hit:
    path: str
    start: float
    end: float = 0.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    block_on_close = False

    def __init__(self, host: str, images: dict[str, bytes], robots: str | None, image_s: float,
                 pages: dict[str, str]) -> None:
        super().__init__((host, 0), _Handler)
        self.images, self.robots, self.image_s, self.pages = images, robots, image_s, pages
        self.hits: list[Hit] = []
        self.lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up (a killed run) is normal here


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        hit = Hit(self.path, time.monotonic())
        with self.server.lock:
            self.server.hits.append(hit)
        if self.path == "/robots.txt" and self.server.robots is not None:
            body, kind, status = self.server.robots.encode(), "text/plain", 200
        elif self.path in self.server.pages:
            body, kind, status = self.server.pages[self.path].encode(), "text/html; charset=utf-8", 200
        elif self.path in self.server.images:
            time.sleep(self.server.image_s)
            body, kind, status = self.server.images[self.path], "image/jpeg", 200
        else:
            body, kind, status = b"not found", "text/plain", 404
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            hit.end = time.monotonic()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep quiet
        pass


class LoggedSite:
    """One host on a loopback address serving robots.txt, images and HTML pages, logging every request."""

    def __init__(self, host: str, images: dict[str, bytes], robots: str | None = "User-agent: *\nAllow: /\n",
                 image_s: float = 0.03, pages: dict[str, str] | None = None) -> None:
        if not host.startswith("127."):
            raise ValueError("test servers bind loopback addresses only")
        self._server = _Server(host, images, robots, image_s, pages or {})
        self.origin = f"http://{host}:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def hits(self) -> list[Hit]:
        with self._server.lock:
            return list(self._server.hits)

    def clear(self) -> None:
        with self._server.lock:
            self._server.hits.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoggedSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def max_in_flight(hits: list[Hit]) -> int:
    events = sorted([(h.start, 1) for h in hits] + [(h.end, -1) for h in hits])
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return peak


def figures(hits: list[Hit]) -> dict[str, Any]:
    """max_in_flight, min_gap_s and mean_gap_s (between request starts), robots, max_requests_per_image, ..."""
    starts = sorted(h.start for h in hits)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    image_hits = Counter(h.path for h in hits if h.path != "/robots.txt")
    return {
        "requests": len(hits),
        "max_in_flight": max_in_flight(hits),
        "min_gap_s": round(min(gaps), 3) if gaps else None,
        "mean_gap_s": round((starts[-1] - starts[0]) / len(gaps), 3) if gaps else None,
        "gaps_s": [round(g, 3) for g in gaps],
        "robots": sum(1 for h in hits if h.path == "/robots.txt"),
        "image_urls": len(image_hits),
        "max_requests_per_image": max(image_hits.values()) if image_hits else 0,
        "image_requests": sum(image_hits.values()),
    }


def jpeg(seed: int, size: int = 96) -> bytes:
    """A small JPEG with a pattern of its own (no two seeds share a perceptual hash)."""
    from PIL import Image

    image = Image.new("RGB", (size, size), ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    for x in range(0, size, 8):
        for y in range(0, size, 8):
            if (x * 7 + y * 3 + seed) % 5 < 2:
                image.paste((seed % 256, 255 - seed % 256, (x + y) % 256), (x, y, x + 8, y + 8))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def write_pages(root: Any, per_page: list[list[str]], files_per_partition: int = 2) -> dict[str, Any]:
    """HTML files under root/pages whose images are the given absolute URLs; returns an html source entry."""
    pages = root / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, urls in enumerate(per_page):
        body = [f"<h1>Page {i} of the politeness test</h1>"]
        for j, url in enumerate(urls):
            body.append(f"<p>Paragraph {j} of page {i}: a sentence long enough to be kept as text by "
                        f"the extractor, with a few more words about figure {j}.</p>")
            body.append(f'<img src="{url}" alt="figure {j}" width="96" height="96">')
        (pages / f"page{i}.html").write_text(f"<html><head><title>Page {i}</title></head><body>"
                                            f"{''.join(body)}</body></html>", encoding="utf-8")
        lines.append(f"pages/page{i}.html\thttp://pages.example/page{i}.html")
    (root / "urls.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"type": "html", "paths": [str(pages)], "urls": str(root / "urls.tsv"),
            "files_per_partition": files_per_partition}
