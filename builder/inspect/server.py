"""`loom inspect`'s web app: a read-only HTTP server over one output folder.

Routes (GET and HEAD only):
  /                                dashboard
  /docs?subset=&q=&domain=&lang=&reason=&score=&min=&max=&sort=&page=   document browser
  /doc/<subset>/<key>              one document, text and images interleaved
  /image/<subset>/<key>/<member>   one image member, read from its shard by offset
  /source/<subset>/<key>[/raw]     the WARC record or HTML file the document came from (as text)
  /files/<name>                    manifest.json, stats.json, report.html, validation/report.{html,json}

Nothing is looked up on disk by a name taken from the request: keys and members must be
in the index, and /files serves a fixed list of names, so no path can lead outside the folder.
/source reads the archive named by the sample's own provenance, never one named in the URL.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from builder.inspect.corpus_index import KEPT, REJECTS, CorpusIndex
from builder.inspect.original import read_original
from builder.inspect.query import DocQuery, SelectionCache
from builder.inspect.render import render_dashboard, render_doc, render_docs, render_error, render_source
from builder.inspect.report import REPORT_NAME
from builder.inspect.summary import VALIDATION_HTML, VALIDATION_JSON, Summary, summarize
from builder.inspect.text_search import TextIndex
from builder.shards.format import IMAGE_EXTS, KEY_RE, MANIFEST_NAME, STATS_NAME

SERVED_FILES = {MANIFEST_NAME: "application/json", STATS_NAME: "application/json",
                REPORT_NAME: "text/html; charset=utf-8", VALIDATION_HTML: "text/html; charset=utf-8",
                VALIDATION_JSON: "application/json"}
IMAGE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}
# Pages hold text and alt attributes from crawled pages: allow no script, no foreign content.
PAGE_CSP = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'")
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


class InspectApp:
    """The state shared by all requests: the index and the dashboard numbers, built once."""

    def __init__(self, out_dir: str | Path) -> None:
        self.index = CorpusIndex.build(out_dir)
        self.summary: Summary = summarize(self.index)
        self.out_dir = self.index.out_dir
        self.text = TextIndex(self.index).start()  # full-text search: built in the background
        self.select = SelectionCache(self.index, text_index=self.text)

    def close(self) -> None:
        """Remove the text index (waits for it to finish building)."""
        self.text.close()


class _Response(Exception):
    """Raised by a route to answer with an error page."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _segments(path: str) -> list[str]:
    return [unquote(part) for part in path.split("/") if part]


class InspectHandler(BaseHTTPRequestHandler):
    app: InspectApp  # set on the subclass made by make_server
    allowed_hosts: frozenset[str] | None = None  # Host header names accepted (None: any)
    server_version = "loom-inspect"
    quiet = True

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        self._dispatch(send_body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch(send_body=True)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if not self.quiet:
            super().log_message(format, *args)

    # -- plumbing ---------------------------------------------------------------------------

    def _dispatch(self, send_body: bool) -> None:
        try:
            self._check_host()
            status, ctype, body, extra = self._route()
        except _Response as err:
            status, ctype, extra = err.status, "text/html; charset=utf-8", {}
            body = render_error(self.app.summary, err.status.value, err.status.phrase, err.message).encode()
        except Exception as exc:  # a bad sample must not take the viewer down
            status, ctype, extra = HTTPStatus.INTERNAL_SERVER_ERROR, "text/html; charset=utf-8", {}
            body = render_error(self.app.summary, 500, "Internal Server Error",
                                f"{type(exc).__name__}: {exc}").encode()
            print(f"loom inspect: error serving {self.path}: {exc!r}", file=sys.stderr)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if ctype.startswith("text/html"):
            self.send_header("Content-Security-Policy", PAGE_CSP)
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            # the browser may have moved on (a closed tab, a cancelled image): nothing to answer then
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    def _check_host(self) -> None:
        """Refuse a Host this server does not answer to (DNS rebinding from a web page)."""
        if self.allowed_hosts is None:
            return
        host = (self.headers.get("Host") or "").strip()
        name = host[1:].partition("]")[0] if host.startswith("[") else host.rpartition(":")[0] or host
        if host and name.lower() not in self.allowed_hosts:  # no Host at all: not a browser
            raise _Response(HTTPStatus.FORBIDDEN, f"unexpected Host header {host!r}")

    def _route(self) -> tuple[HTTPStatus, str, bytes, dict[str, str]]:
        url = urlsplit(self.path)
        parts = _segments(url.path)
        params = parse_qs(url.query)
        html = "text/html; charset=utf-8"
        summary = self.app.summary
        if not parts:
            return HTTPStatus.OK, html, render_dashboard(summary).encode(), {}
        head, rest = parts[0], parts[1:]
        if head == "docs" and not rest:
            notes: list[str] = []
            query = DocQuery.from_params(params, notes)
            page = render_docs(self.app.index, summary, query, notes, self.app.select, self.app.text)
            return HTTPStatus.OK, html, page.encode(), {}
        if head == "doc" and len(rest) == 2:
            entry = self._entry(rest[0], rest[1])
            query = DocQuery.from_params(params)
            return HTTPStatus.OK, html, render_doc(self.app.index, summary, entry, query, self.app.select).encode(), {}
        if head == "image" and len(rest) == 3:
            return self._image(*rest)
        if head == "source" and len(rest) in (2, 3) and rest[2:] in ([], ["raw"]):
            return self._source(rest[0], rest[1], raw=len(rest) == 3)
        name = "/".join(rest)
        if head == "files" and name in SERVED_FILES:
            path = self.app.out_dir / name
            if path.is_file():
                return HTTPStatus.OK, SERVED_FILES[name], path.read_bytes(), {}
        raise _Response(HTTPStatus.NOT_FOUND, "No such page.")

    def _entry(self, subset: str, key: str):  # -> SampleEntry
        entry = self.app.index.get(subset, key) if subset in (KEPT, REJECTS) and KEY_RE.match(key) else None
        if entry is None:
            raise _Response(HTTPStatus.NOT_FOUND, "No such document.")
        return entry

    def _source(self, subset: str, key: str, raw: bool) -> tuple[HTTPStatus, str, bytes, dict[str, str]]:
        entry = self._entry(subset, key)
        data = self.app.index.read_json(entry)
        original = read_original(data.get("provenance") if isinstance(data, dict) else None, self.app.out_dir)
        if original is None:
            raise _Response(HTTPStatus.NOT_FOUND, "This document's provenance names no archive or file.")
        if raw:
            if original.error:
                raise _Response(HTTPStatus.NOT_FOUND, original.error)
            # text/plain (and nosniff): the crawled page is shown, never rendered on this origin
            return HTTPStatus.OK, "text/plain; charset=utf-8", original.html.encode("utf-8", "replace"), {}
        return HTTPStatus.OK, "text/html; charset=utf-8", render_source(self.app.summary, entry, original).encode(), {}

    def _image(self, subset: str, key: str, member: str) -> tuple[HTTPStatus, str, bytes, dict[str, str]]:
        entry = self._entry(subset, key)
        ext = member.rpartition(".")[2]
        data = self.app.index.read_member(entry, member) if ext in IMAGE_EXTS else None
        if data is None:
            raise _Response(HTTPStatus.NOT_FOUND, "No such image.")
        return HTTPStatus.OK, IMAGE_TYPES.get(ext, "application/octet-stream"), data, {
            "Cache-Control": "private, max-age=3600"}


def _loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(app: InspectApp, host: str = "127.0.0.1", port: int = 8000,
                quiet: bool = True) -> ThreadingHTTPServer:
    """A server for `app`, bound but not yet serving (call `serve_forever`). Port 0 picks a free one."""
    allowed = frozenset(LOOPBACK_NAMES | {host.lower()}) if _loopback(host) else None
    handler = type("BoundInspectHandler", (InspectHandler,),
                   {"app": app, "allowed_hosts": allowed, "quiet": quiet})
    server_class = ThreadingHTTPServer
    if ":" in host:  # an IPv6 address
        server_class = type("InspectServer6", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
    server = server_class((host, port), handler)
    server.daemon_threads = True
    return server


def serve_in_thread(app: InspectApp, host: str = "127.0.0.1",
                    port: int = 0) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start serving in a background thread (for tests and notebooks); stop with `server.shutdown()`."""
    server = make_server(app, host, port)
    thread = threading.Thread(target=server.serve_forever, name="loom-inspect", daemon=True)
    thread.start()
    return server, thread
