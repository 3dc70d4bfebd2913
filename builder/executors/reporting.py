"""Live counters from inside a running partition, sent to the driver's progress line.

An executor installs a sender in each worker (`install_sender`); the partition code calls
`LiveCounter.tick()` per document, which at most every `interval` seconds sends the
partition's cumulative counters. Snapshots are cumulative, so a lost or late one only makes
the line lag, never count twice. Without a sender (tests, library use) ticks cost a clock read.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Callable

from builder.stats import Stats

# (partition, snapshot) -> None; set per worker process by the executor.
Sender = Callable[[str, dict[str, int]], None]
_sender: Sender | None = None


def install_sender(sender: Sender | None) -> None:
    global _sender
    _sender = sender


def snapshot(stats: Stats) -> dict[str, int]:
    """What the progress line shows about a partition."""
    # Documents count where they are read (pages / build), so a run's phases add up: later
    # phases add the drops (and images) they decide, not the same documents again.
    return {
        "docs": stats.counts.get("doc.in", 0),
        "images": stats.counts.get("image.in", 0),
        "drops": sum(stats.drops.values()),
    }


class LiveCounter:
    def __init__(self, partition: str, stats: Stats, interval: float = 0.5) -> None:
        self.partition = partition
        self.stats = stats
        self.interval = interval
        self._next = time.monotonic() + interval

    def tick(self) -> None:
        if _sender is None:
            return
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self.interval
            with contextlib.suppress(Exception):  # progress must never cost the partition
                _sender(self.partition, snapshot(self.stats))


def queue_sender(queue: Any) -> Sender:
    """A sender that puts snapshots on a multiprocessing queue (local worker processes)."""

    def send(partition: str, counts: dict[str, int]) -> None:
        queue.put_nowait((partition, counts))

    return send
