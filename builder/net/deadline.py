"""A hard time limit over a stretch of socket work in the calling thread, whatever the response's framing.

    with within(watchdog, 30.0) as handle:
        response = session.get(url, stream=True)   # the connection's socket is recorded in `handle`
        body = response.raw.read()
    handle.aborted                                  # True when the deadline cut it

When the deadline passes, the watchdog shuts the recorded sockets down, which wakes a read
blocked in this thread; the read then fails (or ends early) and the caller sees
`handle.aborted`. A stream read in several stretches passes the same handle again.
"""

from __future__ import annotations

import contextlib
import time
from typing import Iterator

from builder.net.transport import RequestHandle, current_handle, set_current_handle
from builder.net.watchdog import Watchdog


@contextlib.contextmanager
def within(watchdog: Watchdog, seconds: float, handle: RequestHandle | None = None) -> Iterator[RequestHandle]:
    """Cut every connection this thread opens or uses inside the block once `seconds` have passed."""
    handle = handle if handle is not None else RequestHandle()
    previous = current_handle()
    set_current_handle(handle)
    token = watchdog.arm(time.monotonic() + seconds, handle.abort)
    try:
        yield handle
    finally:
        watchdog.cancel(token)
        set_current_handle(previous)
