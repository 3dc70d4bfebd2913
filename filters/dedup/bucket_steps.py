"""The key-bucket tasks of the sharded reduce: each reads only the keys of its bucket, from every partition.

A bucket is a range of the 64-bit key space (`grouping.bucket_bounds`); every partition's map
output holds its keys as sorted runs, so a bucket is a binary search and a slice in each run
(memory-mapped), read in sub-ranges of `reduce_memory_mb`. All documents sharing a key are
in the same bucket, so each group of duplicates is decided whole by one task.

- keys: URL groups resolved by the keep rule (URL drops); close pHash pairs among the pHashes
  sharing a chunk key; near-duplicate candidate pairs from LSH bands, verified — for every
  document, since which ones are still alive is known only later: groups too large to link
  pairwise are kept as their members, and the merge links their live ones.
- images: the documents each image identity is in (a clustered pHash counted under its
  cluster's identity), alive after URL dedup: the identities in too many are frequent.
- image_sets: documents with the same image-set key (computed per partition): keep rule.
- near_duplicates: the near-duplicate clusters (found by the near_pairs merge) whose root
  hashes into the bucket, each resolved by the keep rule.
- paragraphs: (domain, paragraph) keys in enough live documents: removal rows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from filters.dedup.centers import assign_to_centers
from filters.dedup.drops import Drops
from filters.dedup.grouping import (
    SortedRun,
    bucket_bounds,
    group_sizes_per_row,
    group_starts,
    key_ranges,
    key_slice,
    pairs_within_groups,
    read_range,
    resolve_exact,
    rows_with_keys,
)
from filters.dedup.perceptual import chunk_keys, close_pairs, sorted_rows
from filters.dedup.plan import ReducePlan
from filters.dedup.ranking import DocumentTable
from filters.dedup.remap import load_remap

MB = 1024 * 1024
_VERIFY_CHUNK = 16384


def map_runs(plan: ReducePlan, name: str) -> list[SortedRun]:
    return [SortedRun(p.folder / f"{name}.keys.npy", p.folder / f"{name}.docs.npy", p.offset)
            for p in plan.partitions]


def document_table(plan: ReducePlan) -> DocumentTable:
    return DocumentTable([p.folder for p in plan.partitions], np.array(plan.offsets, dtype=np.int64))


class Signatures:
    """MinHash signatures of global documents, read row by row from each partition's file.

    Read with pread, not through a memory map: a map keeps every page it touched (and its
    neighbours, read ahead) resident, so scattered reads would cost memory in proportion to
    the corpus's signature files instead of to the rows asked for.
    """

    def __init__(self, plan: ReducePlan) -> None:
        self.plan = plan
        self.offsets = np.array(plan.offsets, dtype=np.int64)
        self.num_perm = plan.config.near_duplicates.num_perm
        self._files: dict[int, tuple[int, int]] = {}  # partition -> (descriptor, data offset)

    def _file(self, p: int) -> tuple[int, int]:
        if p not in self._files:
            path = self.plan.partitions[p].folder / "signatures.npy"
            header = np.load(path, mmap_mode="r")  # the header only: no data page is touched
            data_offset = int(header.offset)
            del header
            self._files[p] = (os.open(path, os.O_RDONLY), data_offset)
        return self._files[p]

    def rows(self, docs: np.ndarray) -> np.ndarray:
        part = np.searchsorted(self.offsets, docs, side="right") - 1
        out = np.empty((docs.size, self.num_perm), np.uint32)
        row_bytes = self.num_perm * 4
        for p in np.unique(part).tolist():
            rows = np.flatnonzero(part == p)
            fd, data_offset = self._file(p)
            local = (docs[rows] - self.offsets[p]).tolist()
            data = b"".join([os.pread(fd, row_bytes, data_offset + r * row_bytes) for r in local])
            out[rows] = np.frombuffer(data, np.uint32).reshape(len(local), self.num_perm)
        return out

    def close(self) -> None:
        for fd, _ in self._files.values():
            os.close(fd)
        self._files.clear()

    def __del__(self) -> None:
        self.close()


def verify_pairs(signatures: Signatures, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard (share of equal MinHash values) of each pair >= threshold."""
    keep = np.zeros(a.size, bool)
    threshold = signatures.plan.config.near_duplicates.threshold
    for start in range(0, a.size, _VERIFY_CHUNK):
        sa = signatures.rows(a[start : start + _VERIFY_CHUNK])
        sb = signatures.rows(b[start : start + _VERIFY_CHUNK])
        keep[start : start + _VERIFY_CHUNK] = np.mean(sa == sb, axis=1) >= threshold
    return keep


def unique_pairs(a: np.ndarray, b: np.ndarray, *extra: np.ndarray) -> tuple[np.ndarray, ...]:
    """Pairs (a < b) once each; `extra` columns follow their pair (first occurrence)."""
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    first = np.ones(a.size, bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return (a[first], b[first], *(column[order][first] for column in extra))


def in_range(keys: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return (keys >= np.uint64(lo)) & (keys <= np.uint64(hi - 1))


def _bucket(plan: ReducePlan, index: int) -> tuple[int, int, int]:
    lo, hi = bucket_bounds(index, plan.buckets)
    return lo, hi, plan.config.reduce_memory_mb * MB


# ---------------------------------------------------------------------------- keys
def keys_task(plan: ReducePlan, index: int, out: Path) -> dict[str, Any]:
    cfg = plan.config
    counts: dict[str, Any] = {}
    if cfg.urls.enabled:
        _url_groups(plan, index, out, counts)
    if cfg.perceptual.enabled:
        _phash_pairs(plan, index, out, counts)
    if cfg.near_duplicates.enabled:
        _band_candidates(plan, index, out, counts)
    return counts


def _url_groups(plan: ReducePlan, index: int, out: Path, counts: dict[str, Any]) -> None:
    """Same normalized URL: only groups of two or more reach the keep rule."""
    lo, hi, memory = _bucket(plan, index)
    runs = map_runs(plan, "urls")
    ranges = key_ranges(runs, memory, lo, hi)
    counts["url_key_ranges"] = len(ranges)
    shared_keys, shared_docs = [np.zeros(0, np.uint64)], [np.zeros(0, np.int64)]
    for start, stop in ranges:
        keys, docs = read_range(runs, start, stop)
        size_of, _ = group_sizes_per_row(group_starts(keys))
        shared_keys.append(keys[size_of > 1])
        shared_docs.append(docs[size_of > 1])
    dropped, kept = resolve_exact(np.concatenate(shared_keys), np.concatenate(shared_docs),
                                  document_table(plan).rank_of)
    np.save(out / "url_drops.npy", np.stack([dropped, kept]))


def _phash_pairs(plan: ReducePlan, index: int, out: Path, counts: dict[str, Any]) -> None:
    """Close pHash pairs among those sharing a chunk key of this bucket (a chunk key's group is whole here)."""
    lo, hi, _ = _bucket(plan, index)
    key_parts, phash_parts = [np.zeros(0, np.uint64)], [np.zeros(0, np.uint64)]
    for run in map_runs(plan, "phash_chunks"):
        keys, phashes = run.open()
        start, stop = key_slice(keys, lo, hi)
        key_parts.append(np.asarray(keys[start:stop]))
        phash_parts.append(np.asarray(phashes[start:stop]))
    keys, phashes = sorted_rows(np.concatenate(key_parts), np.concatenate(phash_parts))
    distance = plan.config.perceptual.max_distance
    first_chunk = chunk_keys(phashes, distance)[0] == keys  # each distinct pHash has one chunk-0 row
    counts["distinct_phash"] = int(np.unique(phashes[first_chunk]).size)
    a, b = close_pairs(keys, phashes, distance)
    np.save(out / "phash_pairs.npy", np.stack([a, b]))


def _band_candidates(plan: ReducePlan, index: int, out: Path, counts: dict[str, Any]) -> None:
    """Candidate pairs of every document sharing a band key, verified; members of too-large groups as they are."""
    lo, hi, memory = _bucket(plan, index)
    max_pairwise = plan.config.near_duplicates.max_pairwise_group
    runs = map_runs(plan, "bands")
    ranges = key_ranges(runs, memory, lo, hi)
    counts["band_key_ranges"] = len(ranges)
    pair_a, pair_b = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    big_keys, big_docs = [np.zeros(0, np.uint64)], [np.zeros(0, np.int64)]
    for start, stop in ranges:
        keys, docs = read_range(runs, start, stop)
        size_of, _ = group_sizes_per_row(group_starts(keys))
        # A group this size or smaller stays pairwise whichever of its members are alive.
        small = size_of <= max_pairwise
        a, b = pairs_within_groups(keys[small], docs[small], max_pairwise)
        pair_a.append(np.minimum(a, b))
        pair_b.append(np.maximum(a, b))
        big_keys.append(keys[~small])
        big_docs.append(docs[~small])
    a, b = unique_pairs(np.concatenate(pair_a), np.concatenate(pair_b))
    verified = verify_pairs(Signatures(plan), a, b)
    np.save(out / "near_pairs.npy", np.stack([a, b, verified.astype(np.int64)]))
    np.save(out / "near_big_keys.npy", np.concatenate(big_keys))
    np.save(out / "near_big_docs.npy", np.concatenate(big_docs))


# ---------------------------------------------------------------------------- images
def images_task(plan: ReducePlan, index: int, out: Path) -> dict[str, Any]:
    """Image identities of this bucket in more than `max_documents` documents alive after URL dedup."""
    lo, hi, memory = _bucket(plan, index)
    src, dst = load_remap(plan)
    runs = map_runs(plan, "identities")
    alive = Drops(plan, ["keys"])
    frequent = [np.zeros(0, np.uint64)]
    # A clustered pHash is counted under its cluster's identity, which may live in another bucket.
    incoming = in_range(dst, lo, hi)
    bounds = key_ranges(runs, memory, lo, hi) or ([(lo, hi)] if incoming.any() else [])
    for start, stop in bounds:
        keys, docs = read_range(runs, start, stop)
        if src.size:
            pos = np.minimum(np.searchsorted(src, keys), src.size - 1)
            moved = src[pos] == keys
            keys, docs = keys[~moved], docs[~moved]
            into = incoming & in_range(dst, start, stop)
            wanted, target = src[into], dst[into]
            for run in runs:
                which, found = rows_with_keys(run, wanted)
                keys = np.concatenate([keys, target[which]])
                docs = np.concatenate([docs, found])
        live = alive.alive(docs)
        keys, docs = keys[live], docs[live]
        if keys.size == 0:
            continue
        pairs = np.unique(np.stack([keys, docs.astype(np.uint64)]), axis=1)
        starts = group_starts(pairs[0])
        many = np.diff(starts) > plan.config.images.max_documents
        frequent.append(pairs[0][starts[:-1][many]])
    np.save(out / "frequent.npy", np.sort(np.concatenate(frequent)))
    return {}


# ---------------------------------------------------------------------------- image sets
def image_sets_task(plan: ReducePlan, index: int, out: Path) -> dict[str, Any]:
    """Documents whose set of remaining images another live document has too: keep rule."""
    lo, hi, memory = _bucket(plan, index)
    folders = plan.task_dirs("image_keys")
    runs = [SortedRun(f / "image_sets.keys.npy", f / "image_sets.docs.npy", p.offset)
            for f, p in zip(folders, plan.partitions)]
    keys_out, docs_out = [np.zeros(0, np.uint64)], [np.zeros(0, np.int64)]
    for start, stop in key_ranges(runs, memory, lo, hi):
        keys, docs = read_range(runs, start, stop)
        size_of, _ = group_sizes_per_row(group_starts(keys))
        keys_out.append(keys[size_of > 1])
        docs_out.append(docs[size_of > 1])
    dropped, kept = resolve_exact(np.concatenate(keys_out), np.concatenate(docs_out), document_table(plan).rank_of)
    np.save(out / "drops.npy", np.stack([dropped, kept]))
    return {}


# ---------------------------------------------------------------------------- near-duplicate clusters
def near_duplicates_task(plan: ReducePlan, index: int, out: Path) -> dict[str, Any]:
    """The clusters whose root hashes into this bucket, resolved by the keep rule (centers.py)."""
    lo, hi, _ = _bucket(plan, index)
    folder = plan.merged_dir("near_pairs")
    keys = np.load(folder / "clusters.keys.npy", mmap_mode="r")
    start, stop = key_slice(keys, lo, hi)
    nodes_roots = np.asarray(np.load(folder / "clusters.docs.npy", mmap_mode="r")[:, start:stop])
    dropped, kept, n_kept = assign_to_centers(nodes_roots[0], nodes_roots[1], Signatures(plan).rows,
                                              plan.config.near_duplicates.threshold)
    np.save(out / "drops.npy", np.stack([dropped, kept]))
    return {"near_duplicate_cluster_documents_kept": n_kept}


# ---------------------------------------------------------------------------- paragraphs
def paragraphs_task(plan: ReducePlan, index: int, out: Path) -> dict[str, Any]:
    """Paragraph keys in `min_documents` or more documents alive after every document pass."""
    lo, hi, memory = _bucket(plan, index)
    runs = map_runs(plan, "paragraphs")
    alive = Drops(plan, ["keys", "image_sets", "near_duplicates"])
    out_doc, out_key = [np.zeros(0, np.int64)], [np.zeros(0, np.uint64)]
    repeated = 0
    ranges = key_ranges(runs, memory, lo, hi)
    for start, stop in ranges:
        keys, docs = read_range(runs, start, stop)
        live = alive.alive(docs)
        keys, docs = keys[live], docs[live]
        starts = group_starts(keys)
        sizes = np.diff(starts)
        hit = sizes >= plan.config.paragraphs.min_documents
        repeated += int(hit.sum())
        row_hit = np.repeat(hit, sizes)
        out_doc.append(docs[row_hit])
        out_key.append(keys[row_hit])
    doc, key = np.concatenate(out_doc), np.concatenate(out_key)
    order = np.argsort(doc, kind="stable")
    np.save(out / "paragraph_docs.npy", doc[order])
    np.save(out / "paragraph_keys.npy", key[order])
    return {"repeated_paragraphs": repeated, "paragraph_key_ranges": len(ranges)}
