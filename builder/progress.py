"""A live progress line for `loom run`: partitions done, documents/s, images/s, drops.

Finished partitions report their final stats (`update`); running ones send cumulative
counters every half second or so (`live`, fed by the executor), so the line moves within a
partition too. Rates count only work done by this run, not partitions resumed from an earlier one.
"""

from __future__ import annotations

import sys
import time
from typing import Protocol

from tqdm import tqdm

from builder.executors.reporting import snapshot
from builder.run_state import PartitionResult

KEYS = ("docs", "images", "drops")


class Progress(Protocol):
    """What the driver tells about a run: a phase starts, a partition finishes, a task reports live."""

    def start(self, total: int, done: int = 0, desc: str = "loom") -> None: ...

    def update(self, result: PartitionResult) -> None: ...

    def live(self, partition: str, counts: dict[str, int]) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    """Shows nothing: the progress of a library call or a test (the driver never checks for None)."""

    def start(self, total: int, done: int = 0, desc: str = "loom") -> None:
        pass

    def update(self, result: PartitionResult) -> None:
        pass

    def live(self, partition: str, counts: dict[str, int]) -> None:
        pass

    def close(self) -> None:
        pass


class RunProgress:
    def __init__(self, enabled: bool = True, min_interval: float = 0.5) -> None:
        self.enabled = enabled
        self.min_interval = min_interval
        self._bar: tqdm | None = None
        self._started = time.monotonic()
        self._last_draw = 0.0
        self.finished = dict.fromkeys(KEYS, 0)  # tasks done, over every phase so far
        self.resumed = dict.fromkeys(KEYS, 0)  # of those, done by an earlier run
        self.running: dict[str, dict[str, int]] = {}
        self.failed = 0

    def start(self, total: int, done: int = 0, desc: str = "loom") -> None:
        """Begin a phase of `total` partitions (or fetch buckets): a new bar; the run's counters go on."""
        self.close()
        self.running = {}
        self._bar = tqdm(total=total, initial=done, unit="part", desc=desc, file=sys.stderr,
                         disable=not self.enabled, dynamic_ncols=True)

    def totals(self) -> dict[str, int]:
        """Documents, images and drops so far: finished partitions plus the live ones."""
        return {k: self.finished[k] + sum(c.get(k, 0) for c in self.running.values()) for k in KEYS}

    def update(self, result: PartitionResult) -> None:
        counts = snapshot(result.stats)
        self.running.pop(result.partition, None)
        for key in KEYS:
            self.finished[key] += counts[key]
            if result.skipped:
                self.resumed[key] += counts[key]
        self.failed += result.error is not None
        self._draw(force=True)
        if self._bar is not None:
            self._bar.update(1)

    def live(self, partition: str, counts: dict[str, int]) -> None:
        self.running[partition] = counts
        self._draw()

    def line(self) -> str:
        totals = self.totals()
        elapsed = max(time.monotonic() - self._started, 1e-9)
        rate = {k: (totals[k] - self.resumed[k]) / elapsed for k in KEYS}
        return (f"docs {totals['docs']} ({rate['docs']:.0f}/s) images {totals['images']} "
                f"({rate['images']:.0f}/s) drops {totals['drops']} failed {self.failed}")

    def _draw(self, force: bool = False) -> None:
        if self._bar is None:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        self._bar.set_postfix_str(self.line(), refresh=not force)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
