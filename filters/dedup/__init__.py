"""Global deduplication: map (keys per partition) → reduce (decide, on disk) → apply (drop).

See docs/dedup.md. `DedupPasses` is the whole interface the pipeline uses.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from filters.dedup.apply import apply_decisions
from filters.dedup.config import DedupConfig
from filters.dedup.decisions import PartitionDecisions
from filters.dedup.mapper import PartitionMapper
from filters.dedup.reduce import DedupStateError, run_reduce
from filters.dedup.store import DECISIONS_DIR, MAP_DIR, SUMMARY_FILE, partition_dirname, read_json

if TYPE_CHECKING:
    from builder.context import RunContext
    from builder.document import Document

__all__ = ["DedupConfig", "DedupPasses", "DedupStateError"]


class DedupPasses:
    """The dedup passes over a run, sharing state through `work_dir` (a folder every worker can see)."""

    name = "dedup"

    def __init__(self, config: DedupConfig, work_dir: Path) -> None:
        self.config = config
        self.work_dir = Path(work_dir)
        self._decisions: dict[str, PartitionDecisions] = {}
        self._lock = threading.Lock()

    def map_partition(self, partition: str, docs: Iterable[Document]) -> None:
        """Write this partition's keys and signatures under work_dir, atomically (a rerun replaces them)."""
        final = self.work_dir / MAP_DIR / partition_dirname(partition)
        PartitionMapper(self.config).write(partition, docs, final)

    def reduce(self, partitions: Iterable[str] | None = None, buckets: int | None = None) -> None:
        """Decide what to drop, in this process; the decisions go to work_dir.

        Uses every partition mapped under work_dir, or only `partitions` when given (a run
        that reuses a work folder should name its partitions, so leftovers of an earlier run
        take no part). `buckets`: key buckets (default `config.reduce_buckets`). To spread the
        reduce over workers, use `filters.dedup.reduce` (plan_reduce, reduce_bucket, merge_reduce).
        """
        run_reduce(self.config, self.work_dir, partitions, buckets)
        with self._lock:
            self._decisions.clear()

    def apply(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
        """Drop duplicate documents, frequent/repeated images and repeated paragraphs of `ctx.partition`."""
        decisions = self._load(ctx.partition)
        return apply_decisions(docs, decisions, ctx, self.config.drop_emptied, self.config.paragraphs.min_chars)

    __call__ = apply  # a Stage

    def summary(self) -> dict[str, Any]:
        """What the last reduce decided: counts per pass and reason, timings, peak memory."""
        path = self.work_dir / SUMMARY_FILE
        if not path.is_file():
            raise DedupStateError(f"no dedup summary at {path}: reduce has not run")
        return read_json(path)

    def _load(self, partition: str) -> PartitionDecisions:
        with self._lock:
            cached = self._decisions.get(partition)
            if cached is None:
                folder = self.work_dir / DECISIONS_DIR / partition_dirname(partition)
                if not folder.is_dir():
                    raise DedupStateError(
                        f"no dedup decisions for partition {partition!r} in {self.work_dir}: "
                        "map_partition and reduce must run before apply")
                cached = PartitionDecisions.load(folder)
                self._decisions = {partition: cached}  # one partition at a time: bounded memory
            return cached
