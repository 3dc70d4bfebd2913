"""Map, the reduce's tasks and apply in worker processes and on Ray give what they give inline."""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, ImageNode, Provenance, TextNode
from builder.executors.local import LocalExecutor
from filters.dedup import DedupConfig, DedupPasses
from filters.dedup.reduce import merge_reduce, plan_reduce, reduce_bucket


def corpus() -> list[dict]:
    rng = random.Random(5)
    vocab = [f"v{i}" for i in range(8000)]
    docs = []
    for i in range(80):
        text = " ".join(rng.choices(vocab, k=120))
        phash = f"{rng.getrandbits(64):016x}"
        nodes = [TextNode(text), ImageNode(f"https://s{i % 5}.org/{i}.jpg", info={"phash": phash}),
                 TextNode(f"Footer of site {i % 5}")]
        if i % 6 == 0:
            nodes.append(ImageNode("https://cdn.org/logo.svg", info={"sha256": "cd" * 32}))
        docs.append(Document(f"d{i:03d}", f"https://s{i % 5}.org/{i}", nodes,
                             provenance=Provenance("", f"2024-03-{i % 27 + 1:02d}T00:00:00Z")))
    for i in range(10):  # near copies at other URLs, and re-crawls of the same URL
        src = docs[i]
        docs.append(Document(f"n{i}", f"https://mirror.net/{i}", [
            TextNode(src.nodes[0].text.replace("v1 ", "changed ")), ImageNode(f"https://mirror.net/{i}.jpg")],
            provenance=Provenance("", "2024-06-01T00:00:00Z")))
        docs.append(Document(f"r{i}", src.url, list(src.nodes), provenance=Provenance("", "2023-01-01T00:00:00Z")))
    return [d.to_dict() for d in docs]


@dataclass(frozen=True)
class PartTask:
    config: dict
    work_dir: str
    partition: str
    docs: list[dict]


def map_task(task: PartTask) -> str:
    config, work_dir, partition, docs = task.config, task.work_dir, task.partition, task.docs
    DedupPasses(DedupConfig.model_validate(config), Path(work_dir)).map_partition(
        partition, (Document.from_dict(d) for d in docs))
    return partition


def apply_task(task: PartTask) -> tuple:
    config, work_dir, partition, docs = task.config, task.work_dir, task.partition, task.docs
    ctx = RunContext(LoomConfig(), partition=partition)
    passes = DedupPasses(DedupConfig.model_validate(config), Path(work_dir))
    originals = [Document.from_dict(d) for d in docs]
    kept = [(d.id, d.text(), tuple(n.src for n in d.images)) for d in passes.apply(originals, ctx)]
    dropped = [(d.id, d.metadata.get("duplicate_of")) for d in originals if "duplicate_of" in d.metadata]
    return kept, dropped, dict(ctx.stats.drops)


def run_with(executor, work_dir: Path, n_parts: int) -> tuple:
    config = DedupConfig(enabled=True).model_dump()
    docs = corpus()
    parts = {f"part{i}": docs[i::n_parts] for i in range(n_parts)}
    done = list(executor.map_unordered(map_task, [PartTask(config, str(work_dir), p, d) for p, d in parts.items()]))
    assert sorted(done) == sorted(parts)
    plan = plan_reduce(DedupConfig(enabled=True), work_dir, buckets=3)  # the reduce's tasks on the executor too
    for step in plan.steps:
        assert len(list(executor.map_unordered(reduce_bucket, step.tasks))) == len(step.tasks)
        merge_reduce(plan, step)
    tasks = [PartTask(config, str(work_dir), p, d) for p, d in parts.items()]
    results = list(executor.map_unordered(apply_task, tasks))
    kept = sorted(x for r in results for x in r[0])
    dropped = sorted(x for r in results for x in r[1])
    drops: dict[str, int] = {}
    for r in results:
        for k, v in r[2].items():
            drops[k] = drops.get(k, 0) + v
    return kept, dropped, drops


def test_worker_processes_match_inline(tmp_path):
    inline = run_with(LocalExecutor(workers=1), tmp_path / "inline", 1)
    pooled = run_with(LocalExecutor(workers=2), tmp_path / "pooled", 4)
    assert inline == pooled
    assert inline[2]["doc.duplicate_url"] == 10 and inline[2]["doc.near_duplicate"] == 10
    # 14 documents hold the logo; d000 and d006 lose to their newer near copies first.
    assert inline[2]["image.frequent"] == 12 and inline[2]["paragraph.repeated_in_domain"] > 0


@pytest.mark.slow
def test_ray_matches_local(tmp_path):
    ray = pytest.importorskip("ray")
    from builder.executors.config import ExecutorConfig
    from builder.executors.ray import LOCAL_RAY_ENV, RayExecutor

    for key, value in LOCAL_RAY_ENV.items():
        os.environ.setdefault(key, value)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # unix socket paths must stay short
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 1024**2,
             _temp_dir=ray_tmp, configure_logging=False)
    try:
        executor = RayExecutor(ExecutorConfig(type="ray", workers=2))
        on_ray = run_with(executor, tmp_path / "ray-work", 3)
    finally:
        ray.shutdown()
        shutil.rmtree(ray_tmp, ignore_errors=True)
    local = run_with(LocalExecutor(workers=1), tmp_path / "local", 2)
    assert on_ray == local
