"""The Ray executor on a real local Ray cluster (one session for the module): same output as local."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from builder.config import load_config, parse_config
from builder.executors.ray import LOCAL_RAY_ENV, RayExecutor
from builder.pipeline import run_pipeline
from builder.progress import RunProgress
from tests.support.executor_tasks import Pick, Ticks, die_on, square, ticking
from tests.support.politeness_run import check_polite, polite_sites, run_polite
from tests.support.warc_partitions import (
    output_samples,
    partitions_config,
    write_corrupt_partition,
    write_partitions,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ray_session():
    for key, value in LOCAL_RAY_ENV.items():
        os.environ.setdefault(key, value)
    ray = pytest.importorskip("ray")
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 1024**2, _temp_dir=temp,
             runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}}, configure_logging=False, log_to_driver=False)
    yield ray
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("warcs")
    write_partitions(folder, 6)
    return folder


def ray_executor(workers: int = 2) -> RayExecutor:
    return RayExecutor(parse_config({"executor": {"type": "ray", "workers": workers}}).executor)


def test_ray_output_equals_local_output_with_dedup(ray_session, inputs, tmp_path):
    config = partitions_config(inputs, dedup=True, filters=True)
    config.executor.workers = 2
    local = run_pipeline(config, tmp_path / "local")
    config.executor.type = "ray"
    progress = RunProgress(enabled=False)
    on_ray = run_pipeline(config, tmp_path / "ray", progress=progress)
    assert on_ray.samples == local.samples > 0
    assert output_samples(tmp_path / "ray") == output_samples(tmp_path / "local")
    assert on_ray.stats.to_dict() == local.stats.to_dict()
    assert (tmp_path / "ray" / "manifest.json").read_bytes() == (tmp_path / "local" / "manifest.json").read_bytes()
    assert progress.finished["docs"] > 0  # the dedup phase reported its partitions
    assert ray_session.is_initialized()  # the executor leaves a session it did not start


def test_corrupt_partition_fails_alone_on_ray(ray_session, inputs, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(inputs, folder)
    write_corrupt_partition(folder)
    config = partitions_config(folder, executor={"type": "ray", "workers": 2})
    summary = run_pipeline(config, tmp_path / "out")
    assert len(summary.failed) == 1 and summary.failed[0].startswith("part-bad")
    assert any("part-bad.warc.gz" in e for e in summary.stats.errors)
    assert summary.partitions == 7 and summary.samples > 0


def test_ray_runs_every_task_once_and_isolates_a_dead_worker(ray_session):
    executor = ray_executor()
    assert sorted(executor.map_unordered(square, range(5))) == [0, 1, 4, 9, 16]
    results = list(executor.map_unordered(
        die_on, [Pick(i, 2) for i in range(5)], on_failure=lambda task, message: ("failed", task.x, message)))
    assert sorted(r for r in results if isinstance(r, int)) == [0, 1, 3, 4]
    (failure,) = [r for r in results if isinstance(r, tuple)]
    assert failure[1] == 2 and "Error" in failure[2]
    executor.close()


def test_live_counters_arrive_from_ray_workers(ray_session):
    seen: dict[str, list[int]] = {}
    executor = ray_executor()
    results = list(executor.map_unordered(
        ticking, [Ticks(f"p{i}", 60) for i in range(2)],
        on_progress=lambda part, counts: seen.setdefault(part, []).append(counts["docs"])))
    executor.close()
    assert results == [60, 60]
    assert set(seen) == {"p0", "p1"}
    for counts in seen.values():
        assert counts == sorted(counts) and 0 < counts[-1] <= 60


def test_loom_run_on_a_ray_cluster_it_starts_itself(inputs, tmp_path):
    """`loom run --executor ray`: a local cluster for the run (on loopback), live progress, same output."""
    pytest.importorskip("ray")
    config_path = tmp_path / "run.yaml"
    config_path.write_text(json.dumps({"sources": [{"type": "warc", "paths": [str(inputs / "*.warc.gz")]}],
                                       "filters": {"enabled": False}, "shards": {"max_samples": 3}}))
    local = run_pipeline(load_config(config_path), tmp_path / "local")
    ray_tmp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    try:
        env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_TMPDIR": ray_tmp}
        done = subprocess.run([sys.executable, "-m", "builder.cli", "run", str(config_path), "--out",
                               str(tmp_path / "ray"), "--executor", "ray", "--workers", "2"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "docs" in done.stderr and "/s)" in done.stderr  # the progress line
    assert f"{local.samples} samples" in done.stdout
    assert output_samples(tmp_path / "ray") == output_samples(tmp_path / "local")


def test_politeness_holds_across_ray_workers(ray_session, tmp_path):
    """Ray at 2 workers: one budget and one robots.txt per host for the run (tests/test_run_politeness.py)."""
    with polite_sites() as sites:
        check_polite(run_polite(tmp_path, sites, {"type": "ray", "workers": 2}), sites)
