"""Per-host politeness: a cap on requests in flight to one host and a minimum gap between starts."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from builder.errors import LoomError


class HostBusy(LoomError):
    """The host's next free slot is further away than the caller is willing to wait."""


@dataclass
class _HostState:
    active: int = 0
    next_start: float = 0.0  # time.monotonic() of the earliest next request start
    # The last start given out: a request with a longer delay than the one before it (an image
    # after robots.txt taught us a Crawl-delay) still waits its own delay after it.
    last_start: float = float("-inf")
    cond: threading.Condition = field(default_factory=threading.Condition)


class HostLimiter:
    """Global and per-host concurrency limits plus a per-host minimum delay between request starts."""

    _PRUNE_AT = 4096  # forget idle hosts beyond this many, so a long crawl stays bounded

    def __init__(self, max_concurrency: int, per_host_concurrency: int) -> None:
        self.per_host = per_host_concurrency
        self._global = threading.BoundedSemaphore(max_concurrency)
        self._hosts: dict[str, _HostState] = {}
        self._lock = threading.Lock()

    def _state(self, host: str) -> _HostState:
        with self._lock:
            state = self._hosts.get(host)
            if state is None:
                if len(self._hosts) >= self._PRUNE_AT:
                    self._prune()
                state = self._hosts[host] = _HostState()
            return state

    def _prune(self) -> None:
        now = time.monotonic()
        for host in [h for h, s in self._hosts.items() if s.active == 0 and s.next_start < now]:
            del self._hosts[host]

    def acquire(self, host: str, delay: float, max_wait: float) -> None:
        """Wait for a slot on `host` (and a global one); raises HostBusy past `max_wait` seconds."""
        state = self._state(host)
        give_up = time.monotonic() + max_wait
        with state.cond:
            while state.active >= self.per_host:
                remaining = give_up - time.monotonic()
                if remaining <= 0:
                    raise HostBusy(host)
                state.cond.wait(remaining)
            now = time.monotonic()
            start = max(now, state.next_start, state.last_start + delay)
            if start > give_up:
                raise HostBusy(host)
            state.last_start = start
            state.next_start = start + delay
            state.active += 1
        if start > now:
            time.sleep(start - now)
        self._global.acquire()

    def release(self, host: str) -> None:
        self._global.release()
        state = self._state(host)
        with state.cond:
            state.active -= 1
            state.cond.notify()

    def defer(self, host: str, seconds: float) -> None:
        """Push the host's next start `seconds` into the future (after a 429 / 503 with Retry-After)."""
        state = self._state(host)
        with state.cond:
            state.next_start = max(state.next_start, time.monotonic() + seconds)
