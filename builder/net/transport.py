"""A requests adapter whose connections go only to addresses the SSRF guard checked.

urllib3 normally resolves the host itself when it opens a socket. Here the connection asks
the guard instead and connects to one of the returned (checked) addresses, so what was
checked is what is contacted, at every hop and every new connection. TLS still verifies the
certificate against the host name, since only the socket's target address changes.

Each connection also reports its socket to the calling thread's `RequestHandle`, so a watchdog
can cut a request that runs past its total deadline (a server dripping one byte a second
never trips a per-read timeout). The handle keeps the socket itself, taken when the
connection opens or is reused: `http.client` drops the connection's reference to it once
the headers of a close-delimited response arrive, and the response then reads from a file
object the connection no longer knows about.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as u3connection

from builder.net.ssrf import SsrfGuard

_current = threading.local()


class RequestHandle:
    """The sockets a thread uses for its current request; `abort()` cuts them from any thread."""

    __slots__ = ("socks", "aborted", "_lock")

    def __init__(self) -> None:
        self.socks: list[socket.socket] = []
        self.aborted = False
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if not any(s is sock for s in self.socks):
                self.socks.append(sock)
            if self.aborted:
                _shutdown(sock)

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
            for sock in self.socks:
                _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a recv() blocked in another thread


def set_current_handle(handle: RequestHandle | None) -> None:
    _current.handle = handle


def current_handle() -> RequestHandle | None:
    return getattr(_current, "handle", None)


def _attach_current(sock: socket.socket | None) -> None:
    handle = current_handle()
    if handle is not None:
        handle.attach(sock)


class _PinnedMixin:
    guard: SsrfGuard  # set on the per-guard subclasses made by `GuardedAdapter`

    def _new_conn(self) -> socket.socket:  # type: ignore[override]
        conn: Any = self
        addresses = self.guard.resolve(conn._dns_host, conn.port)  # SsrfBlocked / DnsError propagate
        last: OSError | None = None
        for address in addresses:
            try:
                sock = u3connection.create_connection(
                    (address, conn.port),
                    conn.timeout,
                    source_address=conn.source_address,
                    socket_options=conn.socket_options,
                )
            except OSError as exc:
                last = exc
                continue
            _attach_current(sock)  # the raw socket: TLS wraps the same file descriptor
            return sock
        if isinstance(last, TimeoutError):
            raise ConnectTimeoutError(conn, f"connection to {conn.host} timed out")
        raise NewConnectionError(conn, f"failed to connect to {conn.host}: {last}")

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _attach_current(getattr(self, "sock", None))  # for https: the TLS socket

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _attach_current(getattr(self, "sock", None))  # a reused keep-alive connection
        super().request(*args, **kwargs)  # type: ignore[misc]


class PinnedHTTPConnection(_PinnedMixin, HTTPConnection):
    pass


class PinnedHTTPSConnection(_PinnedMixin, HTTPSConnection):
    pass


class GuardedAdapter(HTTPAdapter):
    """An `HTTPAdapter` whose pools use guard-pinned connections."""

    def __init__(self, guard: SsrfGuard, **kwargs: Any) -> None:
        self._guard = guard
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        guard = self._guard
        http_conn = type("GuardedHTTPConnection", (PinnedHTTPConnection,), {"guard": guard})
        https_conn = type("GuardedHTTPSConnection", (PinnedHTTPSConnection,), {"guard": guard})
        http_pool = type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn})
        https_pool = type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn})
        self.poolmanager.pool_classes_by_scheme = {"http": http_pool, "https": https_pool}
