"""One `requests.Session` per thread, all sharing one SSRF-guarded adapter (one pool per host)."""

from __future__ import annotations

import threading
from http.cookiejar import DefaultCookiePolicy

import requests

from builder.net.transport import GuardedAdapter


class GuardedSessions:
    """Thread-local sessions over a shared `GuardedAdapter`; `close()` closes them all.

    Sessions ignore proxies from the environment (a proxy would bypass the SSRF guard) and
    keep no cookies.
    """

    def __init__(self, adapter: GuardedAdapter, headers: dict[str, str]) -> None:
        self.adapter = adapter
        self.headers = headers
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
            session.headers.update(self.headers)
            session.mount("http://", self.adapter)
            session.mount("https://", self.adapter)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self.adapter.close()
