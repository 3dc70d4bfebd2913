"""The same picture at another URL or size: pHashes within a Hamming distance are one image.

Pigeonhole: if two 64-bit hashes differ in at most d bits, then split into d + 1 chunks at
least one chunk is equal. Hashes sharing a chunk are candidates, verified by popcount, and
joined with union-find; each cluster is named after its smallest hash.
"""

from __future__ import annotations

import numpy as np

from filters.dedup.grouping import pairs_within_groups
from filters.dedup.union_find import cluster_roots

_MAX_PAIRWISE = 64


def phash_representatives(phashes: np.ndarray, max_distance: int) -> np.ndarray:
    """For each input pHash (uint64), the smallest pHash of its cluster."""
    distinct, inverse = np.unique(phashes, return_inverse=True)
    if max_distance == 0 or distinct.size < 2:
        return distinct[inverse]
    n_chunks = max_distance + 1
    bounds = np.linspace(0, 64, n_chunks + 1).astype(int)
    edges_a, edges_b = [], []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        mask = np.uint64((1 << (hi - lo)) - 1)
        chunk = (distinct >> np.uint64(lo)) & mask
        order = np.argsort(chunk, kind="stable")
        a, b = pairs_within_groups(chunk[order], order, _MAX_PAIRWISE)
        close = np.bitwise_count(distinct[a] ^ distinct[b]) <= max_distance
        edges_a.append(a[close])
        edges_b.append(b[close])
    a, b = np.concatenate(edges_a), np.concatenate(edges_b)
    # Ranked by the hash itself, so a cluster's root is its smallest hash.
    nodes, roots = cluster_roots(a, b, lambda idx: idx)
    rep = np.arange(distinct.size)
    rep[nodes] = roots
    return distinct[rep][inverse]
