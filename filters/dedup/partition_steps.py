"""The per-partition tasks of the sharded reduce: what concerns one document is decided where the document is.

- image_keys: each image's identity (its pHash cluster's, its bytes' or its URL's), its reason
  (frequent, repeated inside its document), and each live document's image-set key, written
  as a sorted run for the image_sets buckets.
- write: the partition's decisions for apply — its dropped documents with the final survivor
  kept instead (chains followed across partitions), its images to remove, and its paragraphs
  to remove (from every paragraphs bucket).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from filters.dedup.bucket_steps import document_table
from filters.dedup.config import ImageFrequencyConfig
from filters.dedup.decisions import write_decisions
from filters.dedup.drops import DOC_PASSES, Drops
from filters.dedup.grouping import group_starts, save_run
from filters.dedup.perceptual import phash_identity
from filters.dedup.plan import ReducePlan
from filters.dedup.remap import load_remap
from filters.dedup.shingles import splitmix64
from filters.dedup.store import DECISIONS_DIR

DOC_REASONS = ("", "duplicate_url", "duplicate_image_set", "near_duplicate")
IMAGE_REASONS = ("", "frequent", "repeat_in_document")
FREQUENT, REPEAT = 1, 2


def image_identities(plan: ReducePlan, p: int) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Partition p's images (file order), the global document of each, and its identity."""
    part = plan.partitions[p]
    t = pq.read_table(part.folder / "images.parquet", columns=["doc", "ordinal", "key", "phash", "has_phash"])
    doc = t.column("doc").to_numpy().astype(np.int64) + part.offset
    identity = t.column("key").to_numpy().copy()
    if plan.config.perceptual.enabled:
        has = t.column("has_phash").to_numpy(zero_copy_only=False)
        own = phash_identity(t.column("phash").to_numpy()[has])
        src, dst = load_remap(plan)
        if src.size:
            pos = np.minimum(np.searchsorted(src, own), src.size - 1)
            moved = src[pos] == own
            own[moved] = dst[pos[moved]]
        identity[has] = own
    return t, doc, identity


def image_reasons(cfg: ImageFrequencyConfig, doc: np.ndarray, identity: np.ndarray,
                  frequent: np.ndarray) -> np.ndarray:
    """Reason code per image row of one partition (0: kept): frequent, or a repeat in its document."""
    reason = np.zeros(doc.size, np.int8)
    if not cfg.enabled or doc.size == 0:
        return reason
    if cfg.remove_repeats_in_document:
        order = np.lexsort((np.arange(doc.size), doc, identity))  # identity, document, ordinal
        same = np.zeros(doc.size, bool)
        same[1:] = (identity[order][1:] == identity[order][:-1]) & (doc[order][1:] == doc[order][:-1])
        reason[order[same]] = REPEAT
    if frequent.size:
        pos = np.minimum(np.searchsorted(frequent, identity), frequent.size - 1)
        reason[frequent[pos] == identity] = FREQUENT
    return reason


def image_keys_task(plan: ReducePlan, p: int, out: Path) -> dict[str, Any]:
    t, doc, identity = image_identities(plan, p)
    frequent = np.zeros(0, np.uint64)
    if plan.has_step("images"):
        frequent = np.load(plan.merged_dir("images") / "frequent.npy")
    reason = image_reasons(plan.config.images, doc, identity, frequent)
    np.save(out / "image_reasons.npy", reason)
    counts = {"images": int(doc.size),
              "images_with_phash": int(t.column("has_phash").to_numpy(zero_copy_only=False).sum())}
    if plan.config.image_sets.enabled:
        _image_set_run(plan, p, doc, identity, reason, out)
    return counts


def _image_set_run(plan: ReducePlan, p: int, doc: np.ndarray, identity: np.ndarray, reason: np.ndarray,
                   out: Path) -> None:
    """(image-set key, document) of this partition's live documents with enough remaining images."""
    offset = plan.partitions[p].offset
    keep = Drops(plan, ["keys"]).alive(doc) & (reason == 0)
    doc, identity = doc[keep], identity[keep]
    order = np.lexsort((identity, doc))
    doc, identity = doc[order], identity[order]
    first = np.ones(doc.size, bool)
    first[1:] = (doc[1:] != doc[:-1]) | (identity[1:] != identity[:-1])
    doc, identity = doc[first], identity[first]
    starts = group_starts(doc)
    sizes = np.diff(starts).astype(np.uint64)
    set_key = np.zeros(0, np.uint64)
    if doc.size:
        with np.errstate(over="ignore"):
            set_key = splitmix64(np.add.reduceat(splitmix64(identity), starts[:-1]) ^ splitmix64(sizes))
    eligible = sizes >= plan.config.image_sets.min_images
    local = (doc[starts[:-1]][eligible] - offset).astype(np.uint32)
    save_run(out, "image_sets", set_key[eligible], local, offset)


def write_task(plan: ReducePlan, p: int, out: Path) -> dict[str, Any]:
    part = plan.partitions[p]
    drops = Drops(plan, list(DOC_PASSES))
    local, kept, reason = drops.of_partition(p)
    for _ in range(len(DOC_PASSES)):  # a kept document dropped by a later pass: its survivor instead
        chained, further = drops.lookup(kept)
        if not chained.any():
            break
        kept[chained] = further[chained]
    own = pq.read_table(part.folder / "docs.parquet", columns=["id", "occurrence"])
    rows = pa.array(local)
    docs = pa.table({
        "id": own.column("id").take(rows).combine_chunks(),
        "occurrence": own.column("occurrence").take(rows).combine_chunks(),
        "reason": pa.array(np.array(DOC_REASONS, dtype=object)[reason].tolist(), pa.string()),
        "duplicate_of": document_table(plan).ids_of(kept),
    })
    images, image_counts = _image_decisions(plan, p, own, local)
    paragraphs = _paragraph_decisions(plan, p, own)
    write_decisions(plan.work_dir / DECISIONS_DIR / part.folder.name, docs, images, paragraphs)
    return {"doc_drops": np.bincount(reason, minlength=len(DOC_REASONS)).tolist(),
            "paragraph_removals": paragraphs.num_rows, **image_counts}


def _image_decisions(plan: ReducePlan, p: int, own: pa.Table, dropped_local: np.ndarray) -> tuple[pa.Table, dict]:
    part = plan.partitions[p]
    t = pq.read_table(part.folder / "images.parquet", columns=["doc", "ordinal"])
    img_doc = t.column("doc").to_numpy().astype(np.int64)
    reason = np.zeros(img_doc.size, np.int8)
    if plan.has_step("image_keys"):
        reason = np.load(plan.task_dirs("image_keys")[p] / "image_reasons.npy")
    # Images of documents dropped whole are counted by the document drop, not here.
    reason[np.isin(img_doc, dropped_local)] = 0
    removals = np.bincount(reason, minlength=len(IMAGE_REASONS))
    im = np.flatnonzero(reason != 0)
    src = pa.array([], pa.string())
    if im.size:
        src = pq.read_table(part.folder / "images.parquet", columns=["src"]).column("src").take(pa.array(im))
        src = src.combine_chunks()
    rows = pa.array(img_doc[im])
    table = pa.table({
        "doc_id": own.column("id").take(rows).combine_chunks(),
        "occurrence": own.column("occurrence").take(rows).combine_chunks(),
        "ordinal": pa.array(t.column("ordinal").to_numpy()[im], pa.int32()),
        "src": src,
        "reason": pa.array(np.array(IMAGE_REASONS, dtype=object)[reason[im]].tolist(), pa.string()),
    })
    return table, {"images": int(img_doc.size), "image_removals": removals.tolist()}


def _paragraph_decisions(plan: ReducePlan, p: int, own: pa.Table) -> pa.Table:
    part = plan.partitions[p]
    docs, keys = [np.zeros(0, np.int64)], [np.zeros(0, np.uint64)]
    for folder in plan.task_dirs("paragraphs"):
        bucket_docs = np.load(folder / "paragraph_docs.npy", mmap_mode="r")
        lo, hi = np.searchsorted(bucket_docs, [part.offset, part.offset + part.documents])
        docs.append(np.asarray(bucket_docs[lo:hi]) - part.offset)
        keys.append(np.asarray(np.load(folder / "paragraph_keys.npy", mmap_mode="r")[lo:hi]))
    rows = pa.array(np.concatenate(docs))
    return pa.table({
        "doc_id": own.column("id").take(rows).combine_chunks(),
        "occurrence": own.column("occurrence").take(rows).combine_chunks(),
        "key": pa.array(np.concatenate(keys), pa.uint64()),
    })
