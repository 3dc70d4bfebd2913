"""A live progress line for `loom run`: partitions done, documents/s, images/s, drops."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

from builder.run_state import PartitionResult


class RunProgress:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._bar: tqdm | None = None
        self._started = time.monotonic()
        self.docs = self.images = self.drops = self.failed = 0

    def start(self, total: int, done: int = 0) -> None:
        self._started = time.monotonic()
        self._bar = tqdm(total=total, initial=done, unit="part", desc="loom", file=sys.stderr,
                         disable=not self.enabled, dynamic_ncols=True)

    def update(self, result: PartitionResult) -> None:
        counts = result.stats.counts
        self.docs += counts.get("doc.in", 0)
        self.images += counts.get("image.in", 0)
        self.drops += sum(result.stats.drops.values())
        self.failed += result.error is not None
        if self._bar is None:
            return
        elapsed = max(time.monotonic() - self._started, 1e-9)
        self._bar.set_postfix_str(
            f"docs {self.docs} ({self.docs / elapsed:.0f}/s) images {self.images} "
            f"({self.images / elapsed:.0f}/s) drops {self.drops} failed {self.failed}", refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
