"""The local executor: results, failures, a worker that dies, live counters, no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.executors.local import LocalExecutor
from tests.support.executor_tasks import Pick, Ticks, die_on, fail_on, square, ticking

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("workers", [1, 2])
def test_every_task_once(workers):
    results = list(LocalExecutor(workers).map_unordered(square, range(7)))
    assert sorted(results) == [i * i for i in range(7)]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_raising_task_becomes_its_failure(workers):
    tasks = [Pick(i, 3) for i in range(5)]
    results = list(LocalExecutor(workers).map_unordered(
        fail_on, tasks, on_failure=lambda task, message: ("failed", task.x, message)))
    assert sorted(r for r in results if isinstance(r, int)) == [0, 1, 2, 4]
    (failure,) = [r for r in results if isinstance(r, tuple)]
    assert failure[1] == 3 and "ValueError: task 3 is bad" in failure[2]
    with pytest.raises((ValueError, RuntimeError)):
        list(LocalExecutor(workers).map_unordered(fail_on, tasks))


def test_a_worker_that_dies_costs_only_its_task():
    tasks = [Pick(i, 4) for i in range(9)]
    results = list(LocalExecutor(2).map_unordered(
        die_on, tasks, on_failure=lambda task, message: ("failed", task.x, message)))
    assert sorted(r for r in results if isinstance(r, int)) == [i for i in range(9) if i != 4]
    (failure,) = [r for r in results if isinstance(r, tuple)]
    assert failure[1] == 4 and "worker process died" in failure[2]


@pytest.mark.parametrize("workers", [1, 2])
def test_live_counters_arrive_while_tasks_run(workers):
    seen: dict[str, list[int]] = {}
    tasks = [Ticks(f"p{i}", 30) for i in range(3)]
    results = list(LocalExecutor(workers).map_unordered(
        ticking, tasks, on_progress=lambda part, counts: seen.setdefault(part, []).append(counts["docs"])))
    assert results == [30, 30, 30]
    assert set(seen) == {"p0", "p1", "p2"}
    for counts in seen.values():
        assert len(counts) >= 3 and counts == sorted(counts) and counts[-1] <= 30


def test_workers_die_with_a_killed_driver(tmp_path):
    pid_files = [tmp_path / f"worker{i}.pid" for i in range(2)]
    tasks = [str(p) for p in pid_files]
    driver = subprocess.Popen([sys.executable, "-c", (
        "from builder.executors.local import LocalExecutor\n"
        "from tests.support.executor_tasks import sleep_forever\n"
        f"list(LocalExecutor(2).map_unordered(sleep_forever, {tasks!r}))\n"
    )], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 60
        while not all(p.exists() and p.read_text() for p in pid_files):
            assert time.monotonic() < deadline and driver.poll() is None, "workers did not start"
            time.sleep(0.1)
        workers = [int(p.read_text()) for p in pid_files]
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers):
            assert time.monotonic() < deadline, "a worker outlived its killed driver"
            time.sleep(0.1)
    finally:
        if driver.poll() is None:
            driver.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by init) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
