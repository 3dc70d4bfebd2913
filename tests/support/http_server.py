"""Real HTTP servers on loopback for tests: several hosts (127.0.0.x), normal and hostile endpoints.

    with LoopbackServer("127.0.0.2") as server:
        server.route("/a.jpg", static(jpeg_bytes, "image/jpeg"))
        server.route("/slow", slow_drip(rate_bytes_per_s=1))
        url = server.url("/a.jpg")

A handler is a function ``handler(req)`` taking the `BaseHTTPRequestHandler` and writing the
whole response. `server.hits[path]` counts requests, `server.log` keeps (path, headers).
Nothing here binds a non-loopback address.
"""

from __future__ import annotations

import gzip
import io
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable

Handler = Callable[[BaseHTTPRequestHandler], None]


def _send(
    req: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | Iterable[tuple[str, str]] | None = None,
) -> None:
    req.send_response(status)
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    names = set()
    for name, value in items:
        req.send_header(name, value)
        names.add(name.lower())
    if "content-length" not in names:
        req.send_header("Content-Length", str(len(body)))
    req.end_headers()
    if req.command != "HEAD" and body:
        req.wfile.write(body)


def static(
    body: bytes,
    content_type: str = "application/octet-stream",
    status: int = 200,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    delay_s: float = 0.0,
) -> Handler:
    """A fixed response, optionally after `delay_s` (simulated latency)."""
    extra = list(headers.items()) if isinstance(headers, dict) else list(headers or [])

    def handler(req: BaseHTTPRequestHandler) -> None:
        if delay_s:
            time.sleep(delay_s)
        _send(req, status, body, [("Content-Type", content_type), *extra])

    return handler


def status(code: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Handler:
    return static(body, "text/plain", code, headers)


def redirect(location: str, code: int = 302) -> Handler:
    return static(b"", "text/plain", code, {"Location": location})


def slow_drip(
    total_bytes: int = 10_000, rate_bytes_per_s: float = 1.0, content_type: str = "image/jpeg"
) -> Handler:
    """Announces `total_bytes` and sends them one byte at a time at `rate_bytes_per_s`."""

    def handler(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", content_type)
        req.send_header("Content-Length", str(total_bytes))
        req.end_headers()
        req.wfile.flush()
        for _ in range(total_bytes):
            req.wfile.write(b"\xff")
            req.wfile.flush()
            time.sleep(1.0 / rate_bytes_per_s)

    return handler


def endless(chunk: int = 64 * 1024, content_type: str = "image/jpeg") -> Handler:
    """A body that never ends (no Content-Length, connection kept open while the client reads)."""

    def handler(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", content_type)
        req.send_header("Connection", "close")
        req.end_headers()
        block = b"\x00" * chunk
        while True:
            req.wfile.write(block)

    return handler


def gzip_bomb(decompressed_bytes: int = 64 << 20, content_type: str = "image/png") -> Handler:
    """A small gzip body (``Content-Encoding: gzip``) that inflates to `decompressed_bytes`."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        block = b"\x00" * (1 << 20)
        for _ in range(decompressed_bytes // len(block)):
            gz.write(block)
    payload = buf.getvalue()
    return static(payload, content_type, headers={"Content-Encoding": "gzip"})


def sequence(*handlers: Handler) -> Handler:
    """The i-th request gets handlers[i]; the last one repeats (e.g. 503, 503, then the image)."""
    lock = threading.Lock()
    calls = [0]

    def handler(req: BaseHTTPRequestHandler) -> None:
        with lock:
            i = min(calls[0], len(handlers) - 1)
            calls[0] += 1
        handlers[i](req)

    return handler


def robots_txt(text: str) -> Handler:
    return static(text.encode(), "text/plain")


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        self.server.record(path, dict(self.headers.items()))
        handler = self.server.routes.get(path) or self.server.routes.get(self.path)
        try:
            if handler is None:
                if path == "/robots.txt" and self.server.default_robots is not None:
                    robots_txt(self.server.default_robots)(self)
                else:
                    _send(self, 404, b"not found", {"Content-Type": "text/plain"})
            else:
                handler(self)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep tests quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _RequestHandler)
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.log: list[tuple[str, dict[str, str]]] = []
        self.times: list[tuple[float, str]] = []  # (time.monotonic(), path) of each request, for gaps
        self.default_robots: str | None = None  # None: /robots.txt is a 404 unless routed
        self._lock = threading.Lock()

    def record(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.hits[path] += 1
            self.log.append((path, headers))
            self.times.append((time.monotonic(), path))

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up mid-response is normal in these tests


class LoopbackServer:
    """A threaded HTTP server on one loopback address; `route()` adds endpoints."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if not host.startswith("127."):
            raise ValueError("test servers bind loopback addresses only")
        self._server = _Server((host, port))
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()

    @property
    def hits(self) -> Counter[str]:
        return self._server.hits

    @property
    def log(self) -> list[tuple[str, dict[str, str]]]:
        return self._server.log

    @property
    def times(self) -> list[tuple[float, str]]:
        return self._server.times

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.origin + path

    def route(self, path: str, handler: Handler) -> str:
        """Serve `handler` at `path`; returns the full URL."""
        self._server.routes[path] = handler
        return self.url(path)

    def set_robots(self, text: str | None) -> None:
        """robots.txt for this host (None: 404)."""
        self._server.default_robots = text

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LoopbackHosts:
    """`n` servers on 127.0.0.2, 127.0.0.3, ...: distinct hosts for per-host limits and robots."""

    def __init__(self, n: int, first: int = 2) -> None:
        self.servers = [LoopbackServer(f"127.0.0.{first + i}") for i in range(n)]

    def __getitem__(self, i: int) -> LoopbackServer:
        return self.servers[i]

    def __iter__(self):
        return iter(self.servers)

    def __len__(self) -> int:
        return len(self.servers)

    def close(self) -> None:
        for server in self.servers:
            server.close()

    def __enter__(self) -> LoopbackHosts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
