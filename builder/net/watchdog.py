"""One thread that enforces total deadlines: when a request runs out of time, its socket is cut."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import time
from typing import Callable


class Watchdog:
    """Calls a callback when its deadline passes unless it was cancelled first."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int]] = []
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def arm(self, deadline: float, callback: Callable[[], None]) -> int:
        """Run `callback` at `deadline` (time.monotonic() scale); returns a token for `cancel`."""
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="loom-watchdog", daemon=True)
                self._thread.start()
            token = next(self._ids)
            self._callbacks[token] = callback
            heapq.heappush(self._heap, (deadline, token))
            if self._heap[0][1] == token:
                self._cond.notify()
            return token

    def cancel(self, token: int) -> None:
        with self._cond:
            self._callbacks.pop(token, None)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    # Discard cancelled entries at the top so the heap stays small.
                    while self._heap and self._heap[0][1] not in self._callbacks:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._cond.wait()
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                if self._closed:
                    return
                _, token = heapq.heappop(self._heap)
                callback = self._callbacks.pop(token, None)
            if callback is not None:
                with contextlib.suppress(Exception):  # a failing abort must not kill the watchdog
                    callback()
