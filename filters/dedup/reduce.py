"""Reduce: read every partition's map output, decide what is a duplicate, write the decisions.

Passes, in order, each over the documents the previous ones kept:

1. urls: same normalized URL → keep one.
2. images: an image (by pHash cluster, else bytes, else URL) in more than ``max_documents``
   documents is removed everywhere; the same image again within a document is removed.
3. image_sets: same set of remaining images → keep one.
4. near_duplicates: LSH band collisions → candidate pairs → verified by estimated Jaccard →
   union-find clusters → within each, the best document kept and every other dropped as a
   copy of a kept one it is similar to (centers.py; one kept per cluster unless the cluster
   is a chain of documents that are not all alike).
5. paragraphs: a paragraph in ``min_documents`` or more kept documents of one domain is
   removed from all of them.

"Keep one" always applies the same rule (ranking.py): the latest fetch time, then the most
images, then the longest text, then the smallest id (then a hash of the content, for
documents that share an id). Every number here is a function of the documents, never of how
they were partitioned, so any split and any executor give the same decisions.

Memory: 9 bytes a document (decision, document kept instead), 8 a distinct pHash, 16 a
candidate pair, plus one partition's images (image_passes.py) and one key range of the
sorted runs (``reduce_memory_mb``); the attributes of documents are read from disk for the
few that are compared.
"""

from __future__ import annotations

import resource
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from builder.errors import LoomError
from filters.dedup.centers import assign_to_centers
from filters.dedup.config import DedupConfig
from filters.dedup.decisions import write_decisions
from filters.dedup.grouping import (
    SortedRun,
    group_sizes_per_row,
    group_starts,
    iter_key_ranges,
    pairs_within_groups,
    range_count,
    resolve_exact,
)
from filters.dedup.image_passes import ImagePasses
from filters.dedup.ranking import DocumentTable
from filters.dedup.store import (
    DECISIONS_DIR,
    MAP_DIR,
    META_FILE,
    SUMMARY_FILE,
    new_temp_dir,
    read_json,
    write_json,
)
from filters.dedup.union_find import cluster_roots

DOC_REASONS = ("", "duplicate_url", "duplicate_image_set", "near_duplicate")
IMAGE_REASONS = ("", "frequent", "repeat_in_document")
PARAGRAPH_REASON = "repeated_in_domain"
_VERIFY_CHUNK = 16384


class DedupStateError(LoomError, RuntimeError):
    """The work folder does not hold what a step needs (map not run, parameters changed)."""


@dataclass(frozen=True)
class MappedPartition:
    name: str
    folder: Path
    offset: int
    documents: int


def mapped_partitions(work_dir: Path, only: Iterable[str] | None = None) -> list[MappedPartition]:
    """The mapped partitions (all, or those named in `only`), in name order, with their global offsets."""
    found = []
    map_dir = work_dir / MAP_DIR
    if map_dir.is_dir():
        for folder in map_dir.iterdir():
            if folder.name.startswith(".") or not (folder / META_FILE).is_file():
                continue
            meta = read_json(folder / META_FILE)
            found.append((meta["partition"], folder, int(meta["documents"]), meta))
    found.sort(key=lambda item: item[0])
    if only is not None:
        wanted = set(only)
        missing = wanted - {name for name, *_ in found}
        if missing:
            raise DedupStateError(f"partitions never mapped in {work_dir}: {', '.join(sorted(missing))}")
        found = [item for item in found if item[0] in wanted]
    parts, offset = [], 0
    for name, folder, n, _ in found:
        parts.append(MappedPartition(name, folder, offset, n))
        offset += n
    return parts


def _ranges(runs: list[SortedRun], memory_bytes: int) -> int:
    rows = sum(run.open()[0].shape[0] for run in runs)
    return range_count(rows, memory_bytes) if rows else 0


class Reducer:
    def __init__(self, config: DedupConfig, work_dir: Path, partitions: Iterable[str] | None = None) -> None:
        self.config = config
        self.work_dir = work_dir
        self.only = list(partitions) if partitions is not None else None
        self.memory_bytes = config.reduce_memory_mb * 1024 * 1024
        self.summary: dict[str, Any] = {}

    # ------------------------------------------------------------------ driver
    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        parts = mapped_partitions(self.work_dir, self.only)
        self._check_parameters(parts)
        self.parts = parts
        self.offsets = np.array([p.offset for p in parts], dtype=np.int64)
        timings: dict[str, float] = {}
        tick = time.perf_counter()

        self.table = DocumentTable([p.folder for p in parts], self.offsets)
        n = sum(p.documents for p in parts)
        self.reason = np.zeros(n, np.int8)
        self.kept_instead = np.full(n, -1, np.int64)
        counts: dict[str, Any] = {"documents": n, "partitions": len(parts)}
        timings["load"] = time.perf_counter() - tick

        tick = time.perf_counter()
        if self.config.urls.enabled:
            self._urls(parts, counts)
        timings["urls"] = time.perf_counter() - tick

        scratch = new_temp_dir(self.work_dir)
        try:
            tick = time.perf_counter()
            images = ImagePasses(self.config, [p.folder for p in parts], [p.offset for p in parts], scratch,
                                 self.memory_bytes)
            images.cluster_phashes(counts)
            if self.config.images.enabled:
                images.find_frequent(self.reason == 0, counts)
            timings["images"] = time.perf_counter() - tick

            tick = time.perf_counter()
            if self.config.image_sets.enabled:
                keys, docs = images.shared_image_sets(self.reason == 0)
                self._drop(*resolve_exact(keys, docs, self.table.rank_of), reason=2)
            timings["image_sets"] = time.perf_counter() - tick

            tick = time.perf_counter()
            if self.config.near_duplicates.enabled:
                self._near_duplicates(parts, counts)
            timings["near_duplicates"] = time.perf_counter() - tick

            tick = time.perf_counter()
            par_doc, par_key = self._paragraphs(parts, counts)
            timings["paragraphs"] = time.perf_counter() - tick

            self._follow_chains()
            tick = time.perf_counter()
            self._write(parts, images, par_doc, par_key, counts)
            timings["write"] = time.perf_counter() - tick
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        timings["total"] = time.perf_counter() - started

        counts["doc_drops"] = {DOC_REASONS[r]: int(np.sum(self.reason == r)) for r in range(1, len(DOC_REASONS))}
        counts["paragraph_removals"] = {PARAGRAPH_REASON: int(par_doc.size)}
        counts["documents_kept"] = int(np.sum(self.reason == 0))
        self.summary = {
            **counts,
            "config": self.config.model_dump(mode="json"),
            "seconds": {k: round(v, 4) for k, v in timings.items()},
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        self.work_dir.mkdir(parents=True, exist_ok=True)
        write_json(self.work_dir / SUMMARY_FILE, self.summary)
        return self.summary

    def _check_parameters(self, parts: list[MappedPartition]) -> None:
        near = self.config.near_duplicates
        want = {"ngram": near.ngram, "bands": near.bands, "rows": near.rows, "seed": near.seed}
        for part in parts:
            meta = read_json(part.folder / META_FILE)
            paragraphs = (meta.get("paragraphs", True), meta["paragraph_min_chars"])
            if meta["minhash"] != want or (
                    self.config.paragraphs.enabled
                    and paragraphs != (True, self.config.paragraphs.min_chars)):
                raise DedupStateError(
                    f"partition {part.name!r} was mapped with other dedup parameters "
                    f"({meta['minhash']}, paragraphs {paragraphs}); map it again with the current config")
            if self.config.urls.enabled and not meta.get("urls", True):
                raise DedupStateError(
                    f"partition {part.name!r} was mapped with dedup.urls off; map it again to dedup URLs")

    # ------------------------------------------------------------------ loading
    def _drop(self, dropped: np.ndarray, kept: np.ndarray, reason: int) -> None:
        self.reason[dropped] = reason
        self.kept_instead[dropped] = kept

    def _follow_chains(self) -> None:
        """A document kept by one pass may be dropped by a later one: point at the final survivor."""
        dropped = np.flatnonzero(self.reason != 0)
        for _ in range(len(DOC_REASONS)):
            target = self.kept_instead[dropped]
            chained = self.reason[target] != 0
            if not chained.any():
                break
            self.kept_instead[dropped[chained]] = self.kept_instead[target[chained]]

    def _urls(self, parts: list[MappedPartition], counts: dict[str, Any]) -> None:
        """Same normalized URL: only groups of two or more reach the keep rule."""
        runs = [SortedRun(p.folder / "urls.keys.npy", p.folder / "urls.docs.npy", p.offset) for p in parts]
        counts["url_key_ranges"] = _ranges(runs, self.memory_bytes)
        shared_keys, shared_docs = [], []
        for keys, docs in iter_key_ranges(runs, self.memory_bytes):
            size_of, _ = group_sizes_per_row(group_starts(keys))
            shared_keys.append(keys[size_of > 1])
            shared_docs.append(docs[size_of > 1])
        if shared_keys:
            keys, docs = np.concatenate(shared_keys), np.concatenate(shared_docs)
            self._drop(*resolve_exact(keys, docs, self.table.rank_of), reason=1)

    def _near_duplicates(self, parts: list[MappedPartition], counts: dict[str, Any]) -> None:
        near = self.config.near_duplicates
        runs = [SortedRun(p.folder / "bands.keys.npy", p.folder / "bands.docs.npy", p.offset) for p in parts]
        cand_a, cand_b = [], []
        counts["band_key_ranges"] = _ranges(runs, self.memory_bytes)
        for keys, docs in iter_key_ranges(runs, self.memory_bytes):
            live = self.reason[docs] == 0
            a, b = pairs_within_groups(keys[live], docs[live], near.max_pairwise_group)
            cand_a.append(np.minimum(a, b))
            cand_b.append(np.maximum(a, b))
        if not cand_a:
            counts.update(candidate_pairs=0, verified_pairs=0, near_duplicate_clusters=0)
            return
        a, b = np.concatenate(cand_a), np.concatenate(cand_b)
        order = np.lexsort((b, a))
        a, b = a[order], b[order]
        first = np.ones(a.size, bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b = a[first], b[first]
        keep = np.zeros(a.size, bool)
        signatures = [np.load(p.folder / "signatures.npy", mmap_mode="r") for p in parts]
        for start in range(0, a.size, _VERIFY_CHUNK):
            sa = self._signature_rows(signatures, a[start : start + _VERIFY_CHUNK])
            sb = self._signature_rows(signatures, b[start : start + _VERIFY_CHUNK])
            keep[start : start + _VERIFY_CHUNK] = np.mean(sa == sb, axis=1) >= near.threshold
        nodes, roots = cluster_roots(a[keep], b[keep], self.table.rank_of)
        dropped, kept, n_kept = assign_to_centers(
            nodes, roots, lambda docs: self._signature_rows(signatures, docs), near.threshold)
        self._drop(dropped, kept, reason=3)
        counts["candidate_pairs"] = int(a.size)
        counts["verified_pairs"] = int(keep.sum())
        counts["near_duplicate_clusters"] = int(np.unique(roots).size)
        counts["near_duplicate_cluster_documents_kept"] = n_kept

    def _signature_rows(self, signatures: list[np.ndarray], docs: np.ndarray) -> np.ndarray:
        part = np.searchsorted(self.offsets, docs, side="right") - 1
        out = np.empty((docs.size, self.config.near_duplicates.num_perm), np.uint32)
        for p in np.unique(part):
            rows = np.flatnonzero(part == p)
            local = docs[rows] - self.offsets[p]
            order = np.argsort(local)  # sorted reads from the memory map
            out[rows[order]] = signatures[p][local[order]]
        return out

    def _paragraphs(self, parts: list[MappedPartition], counts: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.config.paragraphs
        if not cfg.enabled:
            return np.zeros(0, np.int64), np.zeros(0, np.uint64)
        runs = [SortedRun(p.folder / "paragraphs.keys.npy", p.folder / "paragraphs.docs.npy", p.offset)
                for p in parts]
        out_doc, out_key = [], []
        repeated = 0
        counts["paragraph_key_ranges"] = _ranges(runs, self.memory_bytes)
        for keys, docs in iter_key_ranges(runs, self.memory_bytes):
            live = self.reason[docs] == 0
            keys, docs = keys[live], docs[live]
            starts = group_starts(keys)
            sizes = np.diff(starts)
            hit = sizes >= cfg.min_documents
            repeated += int(hit.sum())
            row_hit = np.repeat(hit, sizes)
            out_doc.append(docs[row_hit])
            out_key.append(keys[row_hit])
        counts["repeated_paragraphs"] = repeated
        if not out_doc:
            return np.zeros(0, np.int64), np.zeros(0, np.uint64)
        return np.concatenate(out_doc), np.concatenate(out_key)

    # ------------------------------------------------------------------ output
    def _write(self, parts, images: ImagePasses, par_doc, par_key, counts: dict[str, Any]) -> None:
        dropped = np.flatnonzero(self.reason != 0)
        doc_reasons = np.array(DOC_REASONS, dtype=object)
        image_reasons = np.array(IMAGE_REASONS, dtype=object)
        removals = np.zeros(len(IMAGE_REASONS), np.int64)
        n_images = 0
        for p, part in enumerate(parts):
            lo, hi = part.offset, part.offset + part.documents
            d = dropped[(dropped >= lo) & (dropped < hi)]
            docs = pa.table({
                "id": self.table.ids_of(d),
                "occurrence": self.table.occurrences_of(d),
                "reason": pa.array(doc_reasons[self.reason[d]].tolist(), pa.string()),
                "duplicate_of": self.table.ids_of(self.kept_instead[d]),
            })
            img_doc, img_ordinal, identity = images.rows(p)
            n_images += img_doc.size
            img_reason = images.reasons(img_doc, identity)
            # Images of documents dropped whole are counted by the document drop, not here.
            img_reason[self.reason[img_doc] != 0] = 0
            removals += np.bincount(img_reason, minlength=len(IMAGE_REASONS))
            im = np.flatnonzero(img_reason != 0)
            src = pa.array([], pa.string())
            if im.size:
                column = pq.read_table(part.folder / "images.parquet", columns=["src"]).column("src")
                src = column.take(pa.array(im)).combine_chunks()
            images_table = pa.table({
                "doc_id": self.table.ids_of(img_doc[im]),
                "occurrence": self.table.occurrences_of(img_doc[im]),
                "ordinal": pa.array(img_ordinal[im], pa.int32()),
                "src": src,
                "reason": pa.array(image_reasons[img_reason[im]].tolist(), pa.string()),
            })
            pm = (par_doc >= lo) & (par_doc < hi)
            paragraphs = pa.table({
                "doc_id": self.table.ids_of(par_doc[pm]),
                "occurrence": self.table.occurrences_of(par_doc[pm]),
                "key": pa.array(par_key[pm], pa.uint64()),
            })
            write_decisions(self.work_dir / DECISIONS_DIR / part.folder.name, docs, images_table, paragraphs)
        counts["images"] = n_images
        counts["image_removals"] = {IMAGE_REASONS[r]: int(removals[r]) for r in range(1, len(IMAGE_REASONS))}
