"""MinHash signatures and LSH band keys for batches of texts.

Signatures come from `rensa` (Rust MinHash over pre-hashed tokens, seeded, so the same
in every process); band keys fold each band's `rows` values into one 64-bit key that also
encodes the band's number, so one sorted run holds every band.
"""

from __future__ import annotations

import numpy as np
import rensa

from filters.dedup.shingles import shingle_hashes, splitmix64

_ROW_MULTIPLIERS = splitmix64(np.arange(1, 1025, dtype=np.uint64)) | np.uint64(1)


def signatures(texts: list[str], ngram: int, num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """uint32 MinHash signatures, shape (len(texts), num_perm), and a mask of texts that had words."""
    flat, offsets = shingle_hashes(texts, ngram)
    has_words = np.diff(offsets) > 0
    if len(texts) == 0:
        return np.zeros((0, num_perm), np.uint32), has_words
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, num_perm, seed)
    sig = np.array(matrix.to_rows(), dtype=np.uint32).reshape(len(texts), num_perm)
    sig[~has_words] = np.iinfo(np.uint32).max
    return sig, has_words


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """uint64 keys, shape (n, bands): equal key in band b means equal signature values in that band."""
    n = sig.shape[0]
    keys = np.empty((n, bands), dtype=np.uint64)
    wide = sig.astype(np.uint64)
    with np.errstate(over="ignore"):
        for b in range(bands):
            acc = np.full(n, np.uint64(b) * np.uint64(0xA24BAED4963EE407), dtype=np.uint64)
            for r in range(rows):
                acc = splitmix64(acc ^ (wide[:, b * rows + r] * _ROW_MULTIPLIERS[r]))
            keys[:, b] = acc
    return keys


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Share of equal MinHash values, row by row."""
    return np.mean(sig_a == sig_b, axis=-1)
