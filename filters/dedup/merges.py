"""The small merge after each step of the sharded reduce: it joins the buckets' results, never the corpus.

- keys: URL drops (split by partition); the close pHash pairs of every bucket joined by
  union-find into clusters (the pHashes on a pair only), kept as a remap table: pHash
  identity → its cluster's identity, for the clustered ones.
- images: the frequent identities of every bucket.
- image_sets: image-set drops.
- near_pairs (no tasks): the candidate pairs of every bucket whose two documents are still
  alive, plus the live members of too-large band groups linked as one pass would (pairwise up
  to `max_pairwise_group`, else a star around the first); union-find over the verified pairs
  (the documents on a pair only); the clusters, keyed by a hash of their root, for:
- near_duplicates: the drops of the clusters each bucket resolved.
- write: summary.json.
"""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Any

import numpy as np

from filters.dedup.bucket_steps import Signatures, document_table, unique_pairs, verify_pairs
from filters.dedup.drops import Drops, write_drops
from filters.dedup.grouping import pairs_within_groups
from filters.dedup.partition_steps import DOC_REASONS, IMAGE_REASONS
from filters.dedup.perceptual import phash_identity, representatives_of_pairs
from filters.dedup.plan import ReducePlan, plan_summary
from filters.dedup.shingles import splitmix64
from filters.dedup.store import SUMMARY_FILE, read_json, write_json
from filters.dedup.union_find import cluster_roots

COUNTS_FILE = "counts.json"


def task_counts(plan: ReducePlan, step: str) -> list[dict[str, Any]]:
    return [read_json(folder / COUNTS_FILE) for folder in plan.task_dirs(step)]


def _stacked(plan: ReducePlan, step: str, name: str, rows: int, dtype: type) -> np.ndarray:
    parts = [np.load(folder / name) for folder in plan.task_dirs(step)]
    return np.concatenate(parts, axis=1) if parts else np.zeros((rows, 0), dtype)


def _sum(counts: list[dict[str, Any]], key: str) -> int:
    return sum(int(c.get(key, 0)) for c in counts)


def merge_keys(plan: ReducePlan, out: Path) -> dict[str, Any]:
    counts = task_counts(plan, "keys")
    result: dict[str, Any] = {}
    if plan.config.urls.enabled:
        drops = _stacked(plan, "keys", "url_drops.npy", 2, np.int64)
        write_drops(plan, out, drops[0], drops[1])
        result["url_key_ranges"] = _sum(counts, "url_key_ranges")
    else:
        write_drops(plan, out, np.zeros(0, np.int64), np.zeros(0, np.int64))
    if plan.config.near_duplicates.enabled:
        result["band_key_ranges"] = _sum(counts, "band_key_ranges")
    if plan.config.perceptual.enabled:
        pairs = _stacked(plan, "keys", "phash_pairs.npy", 2, np.uint64)
        distinct = _sum(counts, "distinct_phash")
        nodes, roots = representatives_of_pairs(pairs[0], pairs[1])
        moved = nodes != roots
        src, dst = phash_identity(nodes[moved]), phash_identity(roots[moved])
        order = np.argsort(src)
        np.save(out / "remap.npy", np.stack([src[order], dst[order]]))
        result.update(distinct_phash=distinct,
                      phash_clusters=distinct - int(nodes.size) + int(np.unique(roots).size))
    return result


def merge_images(plan: ReducePlan, out: Path) -> dict[str, Any]:
    parts = [np.load(folder / "frequent.npy") for folder in plan.task_dirs("images")]
    frequent = np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.uint64)
    np.save(out / "frequent.npy", frequent)
    return {"frequent_images": int(frequent.size)}


def merge_image_keys(plan: ReducePlan, out: Path) -> dict[str, Any]:
    counts = task_counts(plan, "image_keys")
    return {"images_with_phash": _sum(counts, "images_with_phash")} if plan.config.perceptual.enabled else {}


def merge_image_sets(plan: ReducePlan, out: Path) -> dict[str, Any]:
    drops = _stacked(plan, "image_sets", "drops.npy", 2, np.int64)
    write_drops(plan, out, drops[0], drops[1])
    return {}


def merge_near_pairs(plan: ReducePlan, out: Path) -> dict[str, Any]:
    """Live candidate pairs, verified, joined by union-find; the clusters go to the near_duplicates buckets."""
    near = plan.config.near_duplicates
    alive = Drops(plan, ["keys", "image_sets"])
    pairs = _stacked(plan, "keys", "near_pairs.npy", 3, np.int64)
    live = alive.alive(pairs[0]) & alive.alive(pairs[1])
    a, b, verified = pairs[0][live], pairs[1][live], pairs[2][live].astype(bool)
    folders = plan.task_dirs("keys")
    big_keys = np.concatenate([np.zeros(0, np.uint64)] + [np.load(f / "near_big_keys.npy") for f in folders])
    big_docs = np.concatenate([np.zeros(0, np.int64)] + [np.load(f / "near_big_docs.npy") for f in folders])
    if big_keys.size:  # buckets are in key order and each is sorted: so is the whole
        keep = alive.alive(big_docs)
        ba, bb = pairs_within_groups(big_keys[keep], big_docs[keep], near.max_pairwise_group)
        ba, bb = unique_pairs(np.minimum(ba, bb), np.maximum(ba, bb))
        a, b = np.concatenate([a, ba]), np.concatenate([b, bb])
        verified = np.concatenate([verified, verify_pairs(Signatures(plan), ba, bb)])
    a, b, verified = unique_pairs(a, b, verified)
    nodes, roots = cluster_roots(a[verified], b[verified], document_table(plan).rank_of)
    key = splitmix64(roots.astype(np.uint64))  # a cluster's bucket: a hash of its root
    order = np.argsort(key, kind="stable")  # stable: nodes stay in keep-rule order
    np.save(out / "clusters.keys.npy", key[order])
    np.save(out / "clusters.docs.npy", np.stack([nodes[order], roots[order]]))
    return {"candidate_pairs": int(a.size), "verified_pairs": int(verified.sum()),
            "near_duplicate_clusters": int(np.unique(roots).size)}


def merge_near_duplicates(plan: ReducePlan, out: Path) -> dict[str, Any]:
    drops = _stacked(plan, "near_duplicates", "drops.npy", 2, np.int64)
    write_drops(plan, out, drops[0], drops[1])
    counts = task_counts(plan, "near_duplicates")
    return {"near_duplicate_cluster_documents_kept": _sum(counts, "near_duplicate_cluster_documents_kept")}


def merge_paragraphs(plan: ReducePlan, out: Path) -> dict[str, Any]:
    counts = task_counts(plan, "paragraphs")
    return {"repeated_paragraphs": _sum(counts, "repeated_paragraphs"),
            "paragraph_key_ranges": _sum(counts, "paragraph_key_ranges")}


def merge_write(plan: ReducePlan, out: Path) -> dict[str, Any]:
    """summary.json: what the reduce decided, from every step's merge and task counts."""
    summary: dict[str, Any] = plan_summary(plan)
    seconds: dict[str, float] = {}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    task_peaks = []
    for step in plan.steps:
        merged = read_json(plan.merged_dir(step.name) / COUNTS_FILE) if step.name != "write" else {}
        summary.update(merged.get("counts", {}))
        tasks = task_counts(plan, step.name)
        seconds[step.name] = round(merged.get("seconds", 0.0) + sum(t["seconds"] for t in tasks), 4)
        task_peaks += [t["peak_rss_mb"] for t in tasks]
    writes = task_counts(plan, "write")
    doc_drops = np.sum([w["doc_drops"] for w in writes], axis=0) if writes else np.zeros(len(DOC_REASONS), int)
    removals = np.sum([w["image_removals"] for w in writes], axis=0) if writes else np.zeros(len(IMAGE_REASONS), int)
    summary["doc_drops"] = {DOC_REASONS[r]: int(doc_drops[r]) for r in range(1, len(DOC_REASONS))}
    summary["image_removals"] = {IMAGE_REASONS[r]: int(removals[r]) for r in range(1, len(IMAGE_REASONS))}
    summary["paragraph_removals"] = {"repeated_in_domain": _sum(writes, "paragraph_removals")}
    summary["images"] = _sum(writes, "images")
    summary["documents_kept"] = plan.documents - int(doc_drops.sum())
    seconds["total"] = round(sum(seconds.values()), 4)
    summary.update(config=plan.config.model_dump(mode="json"), seconds=seconds,
                   peak_rss_mb=round(max([peak, *task_peaks]), 1),
                   peak_rss_mb_task=round(max(task_peaks, default=0.0), 1))
    write_json(plan.work_dir / SUMMARY_FILE, summary)
    return {}


MERGES = {
    "keys": merge_keys, "images": merge_images, "image_keys": merge_image_keys, "image_sets": merge_image_sets,
    "near_pairs": merge_near_pairs, "near_duplicates": merge_near_duplicates, "paragraphs": merge_paragraphs,
    "write": merge_write,
}
