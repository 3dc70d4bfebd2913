"""robots.txt, fetched once per origin and cached, with RFC 9309's rules for failures.

- 2xx: parsed with protego (the parser Scrapy uses).
- 4xx (except 429): no usable robots.txt, everything is allowed.
- 429, 5xx, network errors: the origin counts as fully disallowed for `error_ttl_s`, then it is tried again.
- Redirects are followed (up to 5 hops) by the fetch function; more count as "no robots.txt".
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from protego import Protego

from builder.net.config import RobotsConfig

ALLOWED = "allowed"
DISALLOWED = "robots_disallowed"
UNAVAILABLE = "robots_unavailable"


@dataclass(frozen=True)
class RobotsFetch:
    """What fetching /robots.txt gave: a status (None when unreachable) and the body."""

    status: int | None
    body: bytes = b""


@dataclass
class _Entry:
    expires: float
    rules: Protego | None  # None with allow_all False: unavailable; with allow_all True: no rules
    allow_all: bool


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"


class RobotsCache:
    def __init__(self, config: RobotsConfig, token: str, fetch: Callable[[str], RobotsFetch]) -> None:
        self.config = config
        self.token = token
        self._fetch = fetch
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _entry(self, origin: str) -> _Entry:
        now = time.monotonic()
        entry = self._entries.get(origin)
        if entry is not None and entry.expires > now:
            return entry
        with self._guard:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:  # one fetch per origin; concurrent callers wait for it
            entry = self._entries.get(origin)
            if entry is not None and entry.expires > time.monotonic():
                return entry
            entry = self._load(origin)
            self._entries[origin] = entry
            return entry

    def _load(self, origin: str) -> _Entry:
        result = self._fetch(origin + "/robots.txt")
        now = time.monotonic()
        status = result.status
        if status is not None and 200 <= status < 300:
            text = result.body[: self.config.max_bytes].decode("utf-8", errors="replace")
            try:
                rules = Protego.parse(text)
            except Exception:  # noqa: BLE001 - an unparsable file is treated as no rules
                return _Entry(now + self.config.cache_ttl_s, None, True)
            return _Entry(now + self.config.cache_ttl_s, rules, True)
        if status is not None and 300 <= status < 500 and status != 429:
            return _Entry(now + self.config.cache_ttl_s, None, True)
        return _Entry(now + self.config.error_ttl_s, None, False)

    def verdict(self, url: str) -> str:
        """``allowed``, ``robots_disallowed`` or ``robots_unavailable`` for `url`."""
        entry = self._entry(origin_of(url))
        if not entry.allow_all:
            return UNAVAILABLE
        if entry.rules is None or entry.rules.can_fetch(url, self.token):
            return ALLOWED
        return DISALLOWED

    def crawl_delay(self, url: str) -> float:
        """The origin's Crawl-delay (or 1 / Request-rate) for our token, capped; 0 when none."""
        entry = self._entry(origin_of(url))
        if entry.rules is None:
            return 0.0
        delay = entry.rules.crawl_delay(self.token) or 0.0
        rate = entry.rules.request_rate(self.token)
        if rate is not None and rate.requests:
            delay = max(delay, rate.seconds / rate.requests)
        return min(float(delay), self.config.max_crawl_delay_s)
