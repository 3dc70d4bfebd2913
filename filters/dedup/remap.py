"""The pHash remap table the keys merge writes: each clustered pHash identity -> its cluster's identity.

Its own module: the merges write it and the bucket and partition steps read it, so none of
them has to import another back.
"""

from __future__ import annotations

import numpy as np

from filters.dedup.plan import ReducePlan


def load_remap(plan: ReducePlan) -> tuple[np.ndarray, np.ndarray]:
    """(identity, cluster's identity) of every clustered pHash, sorted by the first; empty when none."""
    path = plan.merged_dir("keys") / "remap.npy"
    if not path.is_file():
        return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    table = np.load(path)
    return table[0], table[1]
