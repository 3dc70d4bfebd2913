"""Within a near-duplicate cluster: which documents to keep, and which kept one each dropped one copies.

Union-find clusters are transitive: A≈B and B≈C join A and C even when A and C are not alike
(a 40% excerpt, linked to a 60% one, linked to the full article). Dropping C as a copy of A
would lose a document that copies nothing that is kept. So each cluster is resolved greedily
in keep-rule order: the best document is a centre (kept); every next one is dropped as a
copy of the most similar centre when that similarity (estimated Jaccard) reaches the
threshold, and becomes a centre itself otherwise. Every dropped document then has a kept
document it is similar to, and no two kept documents of a cluster are.

A cluster of two is a verified pair: no signature is read. Past `max_centers` centres a
cluster stops growing new ones (its remaining documents go to their most similar centre), so
a pathological cluster costs at most members × max_centers comparisons.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from filters.dedup.grouping import group_starts


def assign_to_centers(nodes: np.ndarray, roots: np.ndarray,
                      signatures_of: Callable[[np.ndarray], np.ndarray], threshold: float,
                      max_centers: int = 256) -> tuple[np.ndarray, np.ndarray, int]:
    """(dropped documents, the kept document each copies, number of documents kept) over all clusters.

    `nodes` come in keep-rule order (as `cluster_roots` returns them), `roots` their clusters.
    """
    if nodes.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    order = np.lexsort((np.arange(nodes.size), roots))  # by cluster, best first
    nodes, roots = nodes[order], roots[order]
    starts = group_starts(roots)
    sizes = np.diff(starts)
    pairs = starts[:-1][sizes == 2]
    dropped, kept = [nodes[pairs + 1]], [nodes[pairs]]
    n_kept = int(pairs.size)
    for start, size in zip(starts[:-1][sizes > 2].tolist(), sizes[sizes > 2].tolist()):
        members = nodes[start : start + size]
        sig = signatures_of(members)
        centers = [0]
        for i in range(1, size):
            similarity = np.mean(sig[centers] == sig[i], axis=1)
            best = int(np.argmax(similarity))
            if similarity[best] >= threshold or len(centers) >= max_centers:
                dropped.append(members[i : i + 1])
                kept.append(members[centers[best] : centers[best] + 1])
            else:
                centers.append(i)
        n_kept += len(centers)
    return np.concatenate(dropped), np.concatenate(kept), n_kept
