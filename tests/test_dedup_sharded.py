"""The sharded reduce decides exactly what the single-task reduce decided, with any number of key buckets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from filters.dedup import DedupConfig, DedupPasses
from filters.dedup.reduce import plan_reduce, reduce_bucket
from tests.support.dedup_corpus import mixed_documents, partitions_of, read_decisions

REPO = Path(__file__).resolve().parent.parent
GOLDEN = json.loads((REPO / "tests" / "data" / "dedup_golden.json").read_text())


def reduce_with(cfg: DedupConfig, work: Path, buckets: int, parts: int = 3) -> dict:
    passes = DedupPasses(cfg, work)
    for name, docs in partitions_of(mixed_documents(), parts).items():
        passes.map_partition(name, docs)
    passes.reduce(buckets=buckets)
    return passes.summary()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_any_bucket_count_decides_what_the_single_task_reduce_decided(tmp_path, name):
    """tests/data/dedup_golden.json: the decisions of the single-task reduce this one replaced."""
    golden = GOLDEN[name]
    cfg = DedupConfig.model_validate(golden["config"])
    for buckets in (1, 4, 13):
        summary = reduce_with(cfg, tmp_path / f"b{buckets}", buckets)
        assert summary["buckets"] == buckets
        assert read_decisions(tmp_path / f"b{buckets}") == golden["decisions"], f"{buckets} buckets"
        assert {k: summary.get(k) for k in golden["summary"]} == golden["summary"]


def test_clustered_phashes_counted_across_buckets(tmp_path):
    """The logo's pHash variants have identities in several buckets: the cluster is still one frequent image."""
    summary = reduce_with(DedupConfig(enabled=True), tmp_path, 13)
    assert summary["frequent_images"] == 1 and summary["phash_clusters"] < summary["distinct_phash"]


def test_a_killed_reduce_resumes_without_redoing_committed_tasks(tmp_path):
    """SIGKILL in the middle of the reduce (inside a task), then the reduce again: committed tasks stay as they were."""
    work = tmp_path / "work"
    cfg = DedupConfig(enabled=True)
    passes = DedupPasses(cfg, work)
    for name, docs in partitions_of(mixed_documents(), 3).items():
        passes.map_partition(name, docs)
    script = ("import sys; from pathlib import Path; from filters.dedup import DedupConfig, DedupPasses; "
              "DedupPasses(DedupConfig(enabled=True), Path(sys.argv[1])).reduce(buckets=24)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(work)], cwd=REPO, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    committed = _wait_for_tasks(proc, work, 30)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p: (p / "counts.json").read_text() for p in _task_dirs(work)}
    assert 30 <= len(before) < 24 * 5 + 3 * 2, "the kill should land inside the reduce"
    plan = plan_reduce(cfg, work, buckets=24)
    pending = [t for s in plan.steps for t in s.tasks if not t.done()]
    assert pending and committed
    passes.reduce(buckets=24)
    after = {p: (p / "counts.json").read_text() for p in _task_dirs(work)}
    assert all(after[p] == text for p, text in before.items())  # not run again (pid and timings would differ)
    assert len(after) == len(before) + len(pending)
    assert read_decisions(work) == GOLDEN["default"]["decisions"]
    assert not list((work / "reduce").glob("*/.tmp-*"))  # the killed task's half-written folder is gone


def test_a_committed_task_is_not_run_again(tmp_path):
    cfg = DedupConfig(enabled=True)
    passes = DedupPasses(cfg, tmp_path)
    passes.map_partition("p", mixed_documents(n=30))
    plan = plan_reduce(cfg, tmp_path, buckets=2)
    task = plan.steps[0].tasks[0]
    reduce_bucket(task)
    stamp = (task.folder / "counts.json").stat().st_mtime_ns
    reduce_bucket(task)
    assert (task.folder / "counts.json").stat().st_mtime_ns == stamp
    passes.map_partition("p", mixed_documents(n=30))  # remapped: a new plan, nothing kept
    assert not plan_reduce(cfg, tmp_path, buckets=2).steps[0].tasks[0].done()


def _task_dirs(work: Path) -> list[Path]:
    return sorted(p for p in (work / "reduce").glob("*/task-*") if p.is_dir())


def _wait_for_tasks(proc: subprocess.Popen, work: Path, count: int) -> int:
    deadline = time.monotonic() + 120
    while len(_task_dirs(work)) < count:
        assert proc.poll() is None, "the reduce finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    return len(_task_dirs(work))
