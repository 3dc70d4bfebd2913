"""Union-find over an edge list, vectorised: clusters whose root is their best-ranked member.

Nodes are renumbered in rank order, so a smaller number is a better document. Each round
hooks every root onto the smallest root it is linked to, then compresses paths by pointer
jumping until every node points at a root; it stops when no edge joins two roots. The
root of a cluster is then its smallest number: the document the keep rule prefers. The
result depends on the set of edges and the ranks only, never on their order.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def cluster_roots(a: np.ndarray, b: np.ndarray,
                  rank_of: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """For each node on an edge: (node, best-ranked node of its cluster), nodes in rank order.

    `rank_of(nodes)` orders the nodes (lower is better).
    """
    if a.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    order = np.argsort(rank_of(nodes), kind="stable")
    nodes = nodes[order]
    position = np.empty_like(order)
    position[order] = np.arange(order.size)
    ea = position[inverse[: a.size]]
    eb = position[inverse[a.size :]]
    parent = np.arange(nodes.size)
    while True:
        ra, rb = parent[ea], parent[eb]
        differ = ra != rb
        if not differ.any():
            break
        lo = np.minimum(ra[differ], rb[differ])
        hi = np.maximum(ra[differ], rb[differ])
        np.minimum.at(parent, hi, lo)
        while True:  # pointer jumping: every node to its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return nodes, nodes[parent]
