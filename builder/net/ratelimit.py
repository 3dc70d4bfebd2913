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
    last_went: float = float("-inf")  # when the last request actually went (after its wait)
    hold_until: float = 0.0  # a Retry-After hold: nothing starts before this, waiting requests included
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
        limit = self.per_host
        state = self._state(host)
        give_up = time.monotonic() + max_wait
        with state.cond:
            while state.active >= limit:
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
        try:
            self._wait_turn(state, start, delay, give_up, host)
        except HostBusy:
            self.release_host(state)
            raise
        self._global.acquire()

    @staticmethod
    def _wait_turn(state: _HostState, start: float, delay: float, give_up: float, host: str) -> None:
        """Sleep until the claimed start, then until `delay` after the last request that went and past
        any hold a Retry-After set meanwhile: a late wake-up or a hold never lets two go together."""
        while True:
            now = time.monotonic()
            if start > now:
                time.sleep(start - now)
                continue
            with state.cond:
                now = time.monotonic()
                start = max(state.last_went + delay, state.hold_until)
                if now >= start:
                    state.last_went = now
                    return
            if start > give_up:
                raise HostBusy(host)

    def release(self, host: str) -> None:
        self._global.release()
        self.release_host(self._state(host))

    @staticmethod
    def release_host(state: _HostState) -> None:
        with state.cond:
            state.active -= 1
            state.cond.notify()

    def defer(self, host: str, seconds: float) -> None:
        """Push the host's next start `seconds` into the future (after a 429 / 503 with Retry-After)."""
        state = self._state(host)
        with state.cond:
            until = time.monotonic() + seconds
            state.next_start = max(state.next_start, until)
            state.hold_until = max(state.hold_until, until)  # also for requests already waiting
