"""Documents a pass dropped, stored per partition, and looked up one partition at a time.

A merge that decides drops writes them under its folder, one file per partition (local
rows, and the global document kept instead). Tasks ask "which of these documents are still
alive?" for documents from any partition: the lookup groups them by partition and loads
one partition's file at a time, so memory follows the partition, not the corpus.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from filters.dedup.plan import ReducePlan

DROPS_DIR = "drops"
DOC_PASSES = {"keys": 1, "image_sets": 2, "near_duplicates": 3}  # step → document reason code


def write_drops(plan: ReducePlan, folder: Path, dropped: np.ndarray, kept: np.ndarray) -> None:
    """Split (dropped, kept instead) global indices by partition into `folder`/drops/."""
    out = folder / DROPS_DIR
    out.mkdir(parents=True, exist_ok=True)
    order = np.argsort(dropped, kind="stable")
    dropped, kept = dropped[order], kept[order]
    for p, part in enumerate(plan.partitions):
        lo, hi = np.searchsorted(dropped, [part.offset, part.offset + part.documents])
        np.savez(out / f"{p:05d}.npz", local=dropped[lo:hi] - part.offset, kept=kept[lo:hi])


class Drops:
    """The documents dropped by the given steps (those of them that are in the plan)."""

    def __init__(self, plan: ReducePlan, steps: list[str]) -> None:
        self.plan = plan
        self.steps = [s for s in steps if s in DOC_PASSES and plan.has_step(s)]
        self.offsets = np.array(plan.offsets + [plan.documents], dtype=np.int64)

    def of_partition(self, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(local rows, global kept instead, reason code) of partition p's dropped documents, by row."""
        local, kept, reason = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.int8)]
        for step in self.steps:
            path = self.plan.merged_dir(step) / DROPS_DIR / f"{p:05d}.npz"
            with np.load(path) as data:
                local.append(data["local"])
                kept.append(data["kept"])
                reason.append(np.full(data["local"].size, DOC_PASSES[step], np.int8))
        rows, kept_all, reasons = np.concatenate(local), np.concatenate(kept), np.concatenate(reason)
        order = np.argsort(rows, kind="stable")
        return rows[order], kept_all[order], reasons[order]

    def lookup(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For global documents: (dropped?, the document kept instead, or -1)."""
        docs = np.asarray(docs, dtype=np.int64)
        dropped = np.zeros(docs.size, bool)
        kept = np.full(docs.size, -1, np.int64)
        if docs.size == 0 or not self.steps:
            return dropped, kept
        part = np.searchsorted(self.offsets, docs, side="right") - 1
        for p in np.unique(part).tolist():
            rows = np.flatnonzero(part == p)
            local, kept_p, _ = self.of_partition(p)
            if local.size == 0:
                continue
            pos = np.minimum(np.searchsorted(local, docs[rows] - self.offsets[p]), local.size - 1)
            hit = local[pos] == docs[rows] - self.offsets[p]
            dropped[rows[hit]] = True
            kept[rows[hit]] = kept_p[pos[hit]]
        return dropped, kept

    def alive(self, docs: np.ndarray) -> np.ndarray:
        return ~self.lookup(docs)[0]
