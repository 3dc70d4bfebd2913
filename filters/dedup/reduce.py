"""The sharded reduce: plan → tasks (key buckets or partitions, in any process) → a small merge per step.

Passes, in order, each over the documents the previous ones kept:

1. urls: same normalized URL → keep one.
2. images: an image (by pHash cluster, else bytes, else URL) in more than ``max_documents``
   documents is removed everywhere; the same image again within a document is removed.
3. image_sets: same set of remaining images → keep one.
4. near_duplicates: LSH band collisions → candidate pairs → verified by estimated Jaccard →
   union-find clusters → within each, the best document kept and every other dropped as a
   copy of a kept one it is similar to (centers.py).
5. paragraphs: a paragraph in ``min_documents`` or more kept documents of one domain is
   removed from all of them.

"Keep one" always applies the same rule (ranking.py). Every key is a uniform hash, so each
pass splits into key buckets that hold whole groups of duplicates (plan.py); what crosses
buckets — drops, pHash clusters, frequent identities, near-duplicate pairs — goes through a
merge that sees only those, never every document. Any bucket count, partitioning and
executor gives the same decisions.

The interface a driver uses::

    plan = plan_reduce(config, work_dir, partitions)       # keeps committed tasks of the same plan
    for step in plan.steps:
        run `reduce_bucket(task)` for every task of step.tasks not yet done (any worker, any order)
        merge_reduce(plan, step)                            # in the driver: small
"""

from __future__ import annotations

import os
import resource
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from filters.dedup.bucket_steps import (
    image_sets_task,
    images_task,
    keys_task,
    near_duplicates_task,
    paragraphs_task,
)
from filters.dedup.config import DedupConfig
from filters.dedup.merges import COUNTS_FILE, MERGES
from filters.dedup.partition_steps import image_keys_task, write_task
from filters.dedup.plan import (
    DedupStateError,
    MappedPartition,
    ReduceBucketTask,
    ReducePlan,
    ReduceStep,
    load_plan,
    mapped_partitions,
    plan_reduce,
)
from filters.dedup.store import new_temp_dir, publish_dir, write_json

TASKS: dict[str, Callable[[ReducePlan, int, Path], dict[str, Any]]] = {
    "keys": keys_task, "images": images_task, "image_keys": image_keys_task,
    "image_sets": image_sets_task, "near_duplicates": near_duplicates_task, "paragraphs": paragraphs_task,
    "write": write_task,
}

__all__ = ["DedupStateError", "MappedPartition", "ReducePlan", "ReduceStep", "ReduceBucketTask", "mapped_partitions",
           "merge_reduce", "plan_reduce", "reduce_bucket", "run_reduce"]


def reduce_bucket(task: ReduceBucketTask) -> ReduceBucketTask:
    """Run one task of a reduce step and commit its result folder (a module-level function: ships to workers).

    A task already committed is not run again. Returns the task.
    """
    if task.done():
        return task
    plan = load_plan(task.work_dir)
    started = time.perf_counter()
    tmp = new_temp_dir(task.folder.parent)
    try:
        counts = TASKS[task.step](plan, task.index, tmp)
        counts.update(seconds=round(time.perf_counter() - started, 4),
                      peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      pid=os.getpid())
        write_json(tmp / COUNTS_FILE, counts)
        publish_dir(tmp, task.folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return task


def merge_reduce(plan: ReducePlan, step: ReduceStep) -> None:
    """Join a step's committed task results (all must be done); committed once, skipped on a rerun."""
    if plan.merged(step.name):
        return
    missing = [t.index for t in step.tasks if not t.done()]
    if missing:
        raise DedupStateError(f"reduce step {step.name!r}: tasks {missing[:10]} have not run")
    started = time.perf_counter()
    tmp = new_temp_dir(plan.step_dir(step.name))
    try:
        counts = MERGES[step.name](plan, tmp)
        write_json(tmp / COUNTS_FILE, {"counts": counts, "seconds": round(time.perf_counter() - started, 4)})
        publish_dir(tmp, plan.merged_dir(step.name))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def run_reduce(config: DedupConfig, work_dir: Path, partitions: Iterable[str] | None = None,
               buckets: int | None = None) -> ReducePlan:
    """The whole reduce in this process, task after task (the pipeline spreads the tasks over its executor)."""
    plan = plan_reduce(config, work_dir, partitions, buckets)
    for step in plan.steps:
        for task in step.tasks:
            reduce_bucket(task)
        merge_reduce(plan, step)
    return plan
