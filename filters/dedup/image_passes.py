"""Image passes of reduce, one partition's images at a time: frequent images, repeats, image sets.

An image's identity is its pHash cluster (perceptual on, pHash known), else its bytes
(sha256), else its URL. A document lives in one partition, so what concerns one document —
repeats of an image inside it, the set of its images — is computed partition by partition.
What spans the corpus goes through sorted runs in a scratch folder, read one key range at a
time: (identity, document) pairs to count the documents each image is in, and (image-set
key, document) pairs to find documents with the same set. In memory stay the distinct
pHashes (8 bytes each, for clustering) and the identities found frequent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pyarrow.parquet as pq

from filters.dedup.config import DedupConfig
from filters.dedup.grouping import (
    group_sizes_per_row,
    group_starts,
    iter_key_ranges,
    save_run,
)
from filters.dedup.perceptual import phash_representatives
from filters.dedup.shingles import splitmix64

FREQUENT, REPEAT = 1, 2  # image reason codes
_PHASH_TAG = np.uint64(0x5048415348000000)  # keeps pHash identities apart from byte/URL keys


class ImagePasses:
    def __init__(self, config: DedupConfig, folders: Sequence[Path], offsets: Sequence[int],
                 scratch: Path, memory_bytes: int) -> None:
        self.config = config
        self.folders = list(folders)
        self.offsets = list(offsets)
        self.scratch = scratch
        self.memory_bytes = memory_bytes
        self.frequent = np.zeros(0, np.uint64)
        self._phash_sorted = np.zeros(0, np.uint64)
        self._phash_rep = np.zeros(0, np.uint64)

    def cluster_phashes(self, counts: dict[str, Any]) -> None:
        """pHash → smallest pHash of its cluster, over the distinct pHashes of the corpus."""
        if not self.config.perceptual.enabled:
            return
        distinct, with_phash = [], 0
        for folder in self.folders:
            t = pq.read_table(folder / "images.parquet", columns=["phash", "has_phash"])
            has = t.column("has_phash").to_numpy(zero_copy_only=False)
            with_phash += int(has.sum())
            distinct.append(np.unique(t.column("phash").to_numpy()[has]))
        phashes = np.unique(np.concatenate(distinct)) if distinct else np.zeros(0, np.uint64)
        self._phash_sorted = phashes
        self._phash_rep = phash_representatives(phashes, self.config.perceptual.max_distance)
        counts.update(images_with_phash=with_phash, distinct_phash=int(phashes.size),
                      phash_clusters=int(np.unique(self._phash_rep).size))

    def rows(self, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(global document, ordinal, identity) of partition p's images, in file order."""
        t = pq.read_table(self.folders[p] / "images.parquet", columns=["doc", "ordinal", "key", "phash", "has_phash"])
        doc = t.column("doc").to_numpy().astype(np.int64) + self.offsets[p]
        identity = t.column("key").to_numpy().copy()
        if self.config.perceptual.enabled and self._phash_sorted.size:
            has = t.column("has_phash").to_numpy(zero_copy_only=False)
            phash = t.column("phash").to_numpy()[has]
            rep = self._phash_rep[np.searchsorted(self._phash_sorted, phash)]
            identity[has] = splitmix64(rep ^ _PHASH_TAG)
        return doc, t.column("ordinal").to_numpy(), identity

    def find_frequent(self, alive: np.ndarray, counts: dict[str, Any]) -> None:
        """Identities in more than `max_documents` live documents."""
        cfg = self.config.images
        runs = []
        for p in range(len(self.folders)):
            doc, _, identity = self.rows(p)
            live = alive[doc]
            pairs = np.unique(np.stack([identity[live], doc[live].astype(np.uint64)]), axis=1)
            local = (pairs[1].astype(np.int64) - self.offsets[p]).astype(np.uint32)
            runs.append(save_run(self.scratch, f"identity-{p}", pairs[0], local, self.offsets[p]))
        frequent = []
        for keys, _ in iter_key_ranges(runs, self.memory_bytes):
            starts = group_starts(keys)
            many = np.diff(starts) > cfg.max_documents
            frequent.append(keys[starts[:-1][many]])
        self.frequent = np.sort(np.concatenate(frequent)) if frequent else np.zeros(0, np.uint64)
        counts["frequent_images"] = int(self.frequent.size)

    def reasons(self, doc: np.ndarray, identity: np.ndarray) -> np.ndarray:
        """Reason code per image row of one partition (0: kept): frequent, or a repeat in its document."""
        cfg = self.config.images
        reason = np.zeros(doc.size, np.int8)
        if not cfg.enabled or doc.size == 0:
            return reason
        if cfg.remove_repeats_in_document:
            order = np.lexsort((np.arange(doc.size), doc, identity))  # identity, document, ordinal
            same = np.zeros(doc.size, bool)
            same[1:] = (identity[order][1:] == identity[order][:-1]) & (doc[order][1:] == doc[order][:-1])
            reason[order[same]] = REPEAT
        if self.frequent.size:
            pos = np.minimum(np.searchsorted(self.frequent, identity), self.frequent.size - 1)
            reason[self.frequent[pos] == identity] = FREQUENT
        return reason

    def shared_image_sets(self, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(set key, document) of live documents whose set of remaining images another one has too."""
        runs = []
        for p in range(len(self.folders)):
            doc, _, identity = self.rows(p)
            keep = alive[doc] & (self.reasons(doc, identity) == 0)
            doc, identity = doc[keep], identity[keep]
            order = np.lexsort((identity, doc))
            doc, identity = doc[order], identity[order]
            first = np.ones(doc.size, bool)
            first[1:] = (doc[1:] != doc[:-1]) | (identity[1:] != identity[:-1])
            doc, identity = doc[first], identity[first]
            if doc.size == 0:
                continue
            starts = group_starts(doc)
            sizes = np.diff(starts).astype(np.uint64)
            with np.errstate(over="ignore"):
                set_key = splitmix64(np.add.reduceat(splitmix64(identity), starts[:-1]) ^ splitmix64(sizes))
            eligible = sizes >= self.config.image_sets.min_images
            local = (doc[starts[:-1]][eligible] - self.offsets[p]).astype(np.uint32)
            runs.append(save_run(self.scratch, f"image-set-{p}", set_key[eligible], local, self.offsets[p]))
        keys_out, docs_out = [], []
        for keys, docs in iter_key_ranges(runs, self.memory_bytes):
            size_of, _ = group_sizes_per_row(group_starts(keys))
            keys_out.append(keys[size_of > 1])
            docs_out.append(docs[size_of > 1])
        if not keys_out:
            return np.zeros(0, np.uint64), np.zeros(0, np.int64)
        return np.concatenate(keys_out), np.concatenate(docs_out)

