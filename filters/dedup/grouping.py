"""Groups of equal keys across sorted runs on disk, one key range at a time.

Every partition leaves a run of (key, document) sorted by key. Keys are uniform 64-bit
hashes, so splitting [0, 2**64) into R equal ranges splits the rows evenly; R is chosen so a
range fits the memory budget. Each range reads only its slice of every run (memory-mapped
files, binary search), so the reduce never holds more than one range.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

# Bytes a loaded row costs at the peak of a range: key + global document index (16), their
# sort order and sorted copies, and the grouping arrays of the caller (measured: ~100).
ROW_BYTES = 128


@dataclass(frozen=True)
class SortedRun:
    keys_path: Path
    docs_path: Path
    offset: int  # global index of the partition's first document

    def open(self) -> tuple[np.ndarray, np.ndarray]:
        return np.load(self.keys_path, mmap_mode="r"), np.load(self.docs_path, mmap_mode="r")


def save_run(folder: Path, name: str, keys: np.ndarray, docs: np.ndarray, offset: int = 0,
             docs_dtype: type = np.uint32) -> SortedRun:
    """Write a sorted run (keys ascending, ties by document) as two .npy files."""
    order = np.lexsort((docs, keys))
    keys_path, docs_path = folder / f"{name}.keys.npy", folder / f"{name}.docs.npy"
    np.save(keys_path, np.ascontiguousarray(keys[order], dtype=np.uint64))
    np.save(docs_path, np.ascontiguousarray(docs[order], dtype=docs_dtype))
    return SortedRun(keys_path, docs_path, offset)


KEY_SPACE = 2**64


def bucket_bounds(bucket: int, buckets: int) -> tuple[int, int]:
    """The key range [lo, hi) of a bucket: keys are uniform hashes, so equal ranges hold equal shares."""
    return KEY_SPACE * bucket // buckets, KEY_SPACE * (bucket + 1) // buckets


def key_slice(keys: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """Rows [start, stop) of a sorted key array that fall in [lo, hi)."""
    start = int(np.searchsorted(keys, np.uint64(lo), side="left")) if lo > 0 else 0
    stop = keys.shape[0] if hi >= KEY_SPACE else int(np.searchsorted(keys, np.uint64(hi), side="left"))
    return start, max(start, stop)


def rows_in(runs: list[SortedRun], lo: int = 0, hi: int = KEY_SPACE) -> int:
    total = 0
    for run in runs:
        start, stop = key_slice(run.open()[0], lo, hi)
        total += stop - start
    return total


def range_count(total_rows: int, memory_bytes: int) -> int:
    return max(1, -(-total_rows * ROW_BYTES // memory_bytes))


def key_ranges(runs: list[SortedRun], memory_bytes: int, lo: int = 0, hi: int = KEY_SPACE) -> list[tuple[int, int]]:
    """[lo, hi) cut into as many equal key ranges as the memory budget needs (none when it holds no row)."""
    total = rows_in(runs, lo, hi)
    if total == 0:
        return []
    n_ranges = range_count(total, memory_bytes)
    bounds = [lo + ((hi - lo) * i) // n_ranges for i in range(n_ranges + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def read_range(runs: list[SortedRun], lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """(keys, global docs) of every run's rows with a key in [lo, hi), sorted by key then document."""
    key_parts, doc_parts = [], []
    for run in runs:
        # Mapped afresh for each range, so pages read for earlier ranges leave the process.
        keys, docs = run.open()
        start, stop = key_slice(keys, lo, hi)
        if stop > start:
            key_parts.append(np.asarray(keys[start:stop]))
            doc_parts.append(np.asarray(docs[start:stop], dtype=np.int64) + run.offset)
        del keys, docs
    if not key_parts:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    keys = np.concatenate(key_parts)
    docs = np.concatenate(doc_parts)
    del key_parts, doc_parts
    order = np.lexsort((docs, keys))
    return keys[order], docs[order]


def iter_key_ranges(runs: list[SortedRun], memory_bytes: int, lo: int = 0,
                    hi: int = KEY_SPACE) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(keys, global docs) of every key range inside [lo, hi), sorted by key then document."""
    for start_key, stop_key in key_ranges(runs, memory_bytes, lo, hi):
        keys, docs = read_range(runs, start_key, stop_key)
        if keys.size:
            yield keys, docs
        del keys, docs


def rows_with_keys(run: SortedRun, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of a run whose key is one of `wanted` (sorted): (index into wanted, global document)."""
    keys, docs = run.open()
    left = np.searchsorted(keys, wanted, side="left")
    counts = np.searchsorted(keys, wanted, side="right") - left
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    which = np.repeat(np.arange(wanted.size), counts)
    first = np.repeat(left - (np.cumsum(counts) - counts), counts)
    rows = first + np.arange(total)
    return which, np.asarray(docs[rows], dtype=np.int64) + run.offset


def group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Index where each run of equal keys begins (plus the total length at the end)."""
    n = sorted_keys.shape[0]
    if n == 0:
        return np.zeros(1, np.int64)
    change = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    return np.concatenate(([0], change, [n])).astype(np.int64)


def group_sizes_per_row(starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every row: the size of its group and its position inside it."""
    sizes = np.diff(starts)
    size_of = np.repeat(sizes, sizes)
    first_of = np.repeat(starts[:-1], sizes)
    return size_of, np.arange(starts[-1]) - first_of


def pairs_within_groups(sorted_keys: np.ndarray, members: np.ndarray,
                        max_pairwise: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (a, b) among members sharing a key.

    Groups up to `max_pairwise` give every pair; larger ones a star around their first
    member (enough to connect them, without a quadratic blow-up).
    """
    starts = group_starts(sorted_keys)
    size_of, pos = group_sizes_per_row(starts)
    out_a, out_b = [], []
    small = size_of <= max_pairwise
    largest_small = int(size_of[small].max()) if small.any() else 0
    for k in range(1, largest_small):
        rows = np.flatnonzero(small & (pos + k < size_of))
        out_a.append(members[rows])
        out_b.append(members[rows + k])
    big_rows = np.flatnonzero(~small & (pos > 0))
    if big_rows.size:
        out_a.append(members[big_rows - pos[big_rows]])
        out_b.append(members[big_rows])
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_a).astype(np.int64), np.concatenate(out_b).astype(np.int64)


def resolve_exact(keys: np.ndarray, docs: np.ndarray,
                  rank_of: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Documents sharing a key: all but the best-ranked are duplicates. Returns (dropped, kept instead).

    `rank_of(docs)` orders documents (lower is better); it is asked only about documents whose
    key is shared.
    """
    empty = np.zeros(0, np.int64)
    if keys.size == 0:
        return empty, empty
    order = np.argsort(keys, kind="stable")
    keys, docs = keys[order], docs[order]
    size_of, _ = group_sizes_per_row(group_starts(keys))
    shared = size_of > 1
    keys, docs = keys[shared], docs[shared]
    if keys.size == 0:
        return empty, empty
    order = np.lexsort((rank_of(docs), keys))
    keys, docs = keys[order], docs[order]
    _, pos = group_sizes_per_row(group_starts(keys))
    dup = np.flatnonzero(pos > 0)
    return docs[dup].astype(np.int64), docs[dup - pos[dup]].astype(np.int64)
