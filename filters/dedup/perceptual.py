"""The same picture at another URL or size: pHashes within a Hamming distance are one image.

Pigeonhole: if two 64-bit hashes differ in at most d bits, then split into d + 1 chunks at
least one chunk is equal. Hashes sharing a chunk are candidates, verified by popcount, and
joined with union-find; each cluster is named after its smallest hash.

The sharded reduce splits this three ways: map writes each distinct pHash once per chunk
under a *chunk key* (chunk number and value, mixed: a uniform 64-bit key), a bucket task
finds the close pairs among the pHashes sharing a chunk key in its key range, and the merge
joins the pairs of every bucket. A chunk key's whole group is in one bucket, so the pairs
are those one task over all pHashes finds, and so are the clusters.
"""

from __future__ import annotations

import numpy as np

from filters.dedup.grouping import pairs_within_groups
from filters.dedup.shingles import splitmix64
from filters.dedup.union_find import cluster_roots

MAX_PAIRWISE = 64
PHASH_TAG = np.uint64(0x5048415348000000)  # keeps pHash identities apart from byte/URL keys


def phash_identity(phashes: np.ndarray) -> np.ndarray:
    """The image identity of a pHash (its cluster's smallest pHash, for a clustered one)."""
    return splitmix64(np.asarray(phashes, dtype=np.uint64) ^ PHASH_TAG)


def chunk_keys(phashes: np.ndarray, max_distance: int) -> np.ndarray:
    """Shape (chunks, n): the key of each chunk of each pHash; chunk 0's key counts distinct pHashes."""
    phashes = np.asarray(phashes, dtype=np.uint64)
    if max_distance == 0:
        return splitmix64(phashes)[None, :]
    n_chunks = max_distance + 1
    bounds = np.linspace(0, 64, n_chunks + 1).astype(int)
    out = np.empty((n_chunks, phashes.size), np.uint64)
    for c, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        chunk = (phashes >> np.uint64(lo)) & np.uint64((1 << (hi - lo)) - 1)
        out[c] = splitmix64((chunk << np.uint64(4)) | np.uint64(c))  # injective: chunks are <= 32 bits
    return out


def close_pairs(keys: np.ndarray, phashes: np.ndarray, max_distance: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of pHashes within `max_distance` among rows sharing a chunk key.

    Rows must be distinct and sorted by (key, pHash): a large group is linked as a star around
    its smallest pHash, as one pass over all pHashes would.
    """
    if max_distance == 0 or keys.size < 2:
        return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    a, b = pairs_within_groups(keys, np.arange(keys.size), MAX_PAIRWISE)
    close = np.bitwise_count(phashes[a] ^ phashes[b]) <= max_distance
    return phashes[a[close]], phashes[b[close]]


def sorted_rows(keys: np.ndarray, phashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (chunk key, pHash) rows sorted by key then pHash."""
    order = np.lexsort((phashes, keys))
    keys, phashes = keys[order], phashes[order]
    first = np.ones(keys.size, bool)
    first[1:] = (keys[1:] != keys[:-1]) | (phashes[1:] != phashes[:-1])
    return keys[first], phashes[first]


def representatives_of_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pHash, smallest pHash of its cluster) for every pHash on a pair."""
    # Ranked by the hash itself, so a cluster's root is its smallest hash.
    return cluster_roots(a, b, lambda nodes: nodes)


def phash_representatives(phashes: np.ndarray, max_distance: int) -> np.ndarray:
    """For each input pHash (uint64), the smallest pHash of its cluster (all in one process)."""
    distinct, inverse = np.unique(np.asarray(phashes, dtype=np.uint64), return_inverse=True)
    keys = chunk_keys(distinct, max_distance)
    rows_k, rows_p = sorted_rows(keys.ravel(), np.tile(distinct, keys.shape[0]))
    a, b = close_pairs(rows_k, rows_p, max_distance)
    rep = distinct.copy()
    if a.size:
        nodes, roots = representatives_of_pairs(a, b)
        rep[np.searchsorted(distinct, nodes)] = roots
    return rep[inverse]

