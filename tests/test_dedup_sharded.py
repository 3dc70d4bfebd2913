"""The sharded reduce decides exactly what the single-task reduce decided, with any number of key buckets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from filters.dedup import DedupConfig, DedupPasses
from filters.dedup.grouping import bucket_bounds
from filters.dedup.plan import load_plan
from filters.dedup.reduce import plan_reduce, reduce_bucket
from filters.dedup.remap import load_remap
from tests.support.dedup_corpus import mixed_documents, partitions_of, read_decisions

REPO = Path(__file__).resolve().parent.parent
GOLDEN = json.loads((REPO / "tests" / "data" / "dedup_golden.json").read_text())


def mapped(cfg: DedupConfig, work: Path, parts: int = 3) -> DedupPasses:
    passes = DedupPasses(cfg, work)
    for name, docs in partitions_of(mixed_documents(), parts).items():
        passes.map_partition(name, docs)
    return passes


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_any_bucket_count_decides_what_the_single_task_reduce_decided(tmp_path, name):
    """tests/data/dedup_golden.json: the decisions of the single-task reduce this one replaced."""
    golden = GOLDEN[name]
    cfg = DedupConfig.model_validate(golden["config"])
    passes = mapped(cfg, tmp_path)
    for buckets in (1, 7) if name == "default" else (4,):
        passes.reduce(buckets=buckets)  # another bucket count: another plan, decided afresh
        summary = passes.summary()
        assert summary["buckets"] == buckets
        assert read_decisions(tmp_path) == golden["decisions"], f"{buckets} buckets"
        assert {k: summary.get(k) for k in golden["summary"]} == golden["summary"]
    if name == "default":  # the logo's pHash variants were counted across buckets as one image
        src, dst = load_remap(load_plan(tmp_path))
        starts = np.array([bucket_bounds(b, 7)[0] for b in range(7)], dtype=np.uint64)
        bucket_of = lambda keys: np.searchsorted(starts, keys, side="right")  # noqa: E731
        assert summary["frequent_images"] == 1 and (bucket_of(src) != bucket_of(dst)).any()


def test_a_killed_reduce_resumes_without_redoing_committed_tasks(tmp_path):
    """SIGKILL in the middle of the reduce (inside a task), then the reduce again: committed tasks stay as they were."""
    work = tmp_path / "work"
    cfg = DedupConfig(enabled=True)
    passes = mapped(cfg, work)
    script = ("import sys; from pathlib import Path; from filters.dedup import DedupConfig, DedupPasses; "
              "DedupPasses(DedupConfig(enabled=True), Path(sys.argv[1])).reduce(buckets=12)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(work)], cwd=REPO, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    committed = _wait_for_tasks(proc, work, 15)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p: (p / "counts.json").read_text() for p in _task_dirs(work)}
    assert 15 <= len(before) < 12 * 6 + 3 * 2, "the kill should land inside the reduce"
    plan = plan_reduce(cfg, work, buckets=12)
    pending = [t for s in plan.steps for t in s.tasks if not t.done()]
    assert pending and committed
    passes.reduce(buckets=12)
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
