"""A hostile web on loopback: one server whose endpoints misbehave in every way a fetcher must survive.

    with HostileWeb() as web:
        web.url("/drip/close")     # 200, no Content-Length, Connection: close, one byte a second
        web.log                    # every request: (host, path, headers)
        web.hits["/redirect/to-other"]

Built on `tests.support.http_server` (a real threaded HTTP server); the endpoints here are the
ones that issue 18's outside test used: a drip in each response framing, a stall, an endless
body, bombs, redirect chains towards loopback addresses outside the allow-list (each with its
own hit counter), 429 with Retry-After, a flaky endpoint, a wrong content type, a body cut
short, and a host with a Crawl-delay.
"""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Callable

from tests.factories import image_bytes
from tests.support.http_server import (
    Handler,
    LoopbackServer,
    endless,
    gzip_bomb,
    redirect,
    sequence,
    slow_drip,
    static,
    status,
)

JPEG = image_bytes(64, 48, fmt="JPEG")
PNG = image_bytes(64, 48, fmt="PNG")


def _drip_bytes(req: BaseHTTPRequestHandler, data: bytes, rate: float, frame: Callable[[bytes], bytes]) -> None:
    for i in range(len(data)):
        req.wfile.write(frame(data[i:i + 1]))
        req.wfile.flush()
        time.sleep(1.0 / rate)


def drip(framing: str, total_bytes: int = 600, rate_bytes_per_s: float = 1.0,
         content_type: str = "image/jpeg") -> Handler:
    """200 whose body arrives one byte at a time, framed as `framing`.

    ``length``: Content-Length; ``close``: no length, the end is the connection's close;
    ``chunked``: one-byte chunks; ``gzip``: a gzip-encoded body, close-delimited.
    """
    if framing == "length":
        return slow_drip(total_bytes, rate_bytes_per_s, content_type)
    body = b"\xff" * total_bytes
    if framing == "gzip":
        body = gzip.compress(JPEG + b"\x00" * total_bytes)

    def handler(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", content_type)
        if framing == "chunked":
            req.send_header("Transfer-Encoding", "chunked")
        else:
            req.send_header("Connection", "close")
            req.close_connection = True
        if framing == "gzip":
            req.send_header("Content-Encoding", "gzip")
        req.end_headers()
        req.wfile.flush()
        if framing == "chunked":
            _drip_bytes(req, body, rate_bytes_per_s, lambda b: b"1\r\n" + b + b"\r\n")
        else:
            _drip_bytes(req, body, rate_bytes_per_s, lambda b: b)

    return handler


def stall(seconds: float = 60.0) -> Handler:
    """Accepts the request and answers nothing (headers never come)."""

    def handler(req: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)

    return handler


def truncated(body: bytes, content_type: str = "image/jpeg") -> Handler:
    """Announces the whole body, sends half, and hangs up."""

    def handler(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", content_type)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body[: len(body) // 2])
        req.wfile.flush()
        req.close_connection = True

    return handler


def pixel_bomb() -> bytes:
    """A tiny PNG that declares 30000 x 30000 pixels (decoding it whole would take 2.7 GB)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + 3 * 30000) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


# Loopback addresses outside the usual 127.0.0.0/8 allow-list of a test, and the IPv6 forms.
FORBIDDEN_TARGETS = ("http://10.0.0.1/x.jpg", "http://169.254.169.254/latest/meta-data/",
                     "http://[::1]/x.jpg", "http://[::ffff:127.0.0.1]/x.jpg", "http://0.0.0.0/x.jpg",
                     "http://192.168.0.1/x.jpg")


class HostileWeb:
    """One loopback server (127.0.0.x) with every hostile endpoint routed; `log` records each request."""

    def __init__(self, host: str = "127.0.0.9") -> None:
        self.server = LoopbackServer(host)
        self._lock = threading.Lock()
        s = self.server
        for framing in ("length", "close", "chunked", "gzip"):
            s.route(f"/drip/{framing}", drip(framing))
        s.route("/stall", stall())
        s.route("/endless", endless())
        s.route("/bomb/gzip", gzip_bomb(64 << 20))
        s.route("/bomb/pixels.png", static(pixel_bomb(), "image/png"))
        s.route("/ok.jpg", static(JPEG, "image/jpeg"))
        s.route("/ok.png", static(PNG, "image/png"))
        s.route("/429", sequence(status(429, {"Retry-After": "1"}), static(JPEG, "image/jpeg")))
        s.route("/flaky", sequence(status(503), status(500), static(JPEG, "image/jpeg")))
        s.route("/wrong-type.jpg", static(b"<html><body>not an image</body></html>", "text/html"))
        s.route("/truncated.jpg", truncated(JPEG))
        for i, target in enumerate(FORBIDDEN_TARGETS):
            s.route(f"/redirect/forbidden{i}", redirect(target))
        for i in range(8):
            s.route(f"/redirect/chain{i}", redirect(f"/redirect/chain{i + 1}"))
        s.route("/redirect/chain8", static(JPEG, "image/jpeg"))

    @property
    def hits(self):
        return self.server.hits

    @property
    def log(self) -> list[tuple[str, dict[str, str]]]:
        return self.server.log

    def url(self, path: str) -> str:
        return self.server.url(path)

    def route(self, path: str, handler: Handler) -> str:
        return self.server.route(path, handler)

    def set_robots(self, text: str | None) -> None:
        self.server.set_robots(text)

    def close(self) -> None:
        self.server.close()

    def __enter__(self) -> HostileWeb:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["FORBIDDEN_TARGETS", "HostileWeb", "drip", "endless", "stall", "truncated"]
