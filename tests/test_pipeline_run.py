"""The pipeline driver on the local executor: same answer on 1 or 2 workers, resume, failures, fsspec output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from builder.cli import main as loom_main
from builder.config import ConfigError
from builder.errors import OutputBusy, OutputError
from builder.pipeline import run_pipeline
from builder.progress import RunProgress
from builder.run_output import RunOutput
from builder.run_state import RunState
from tests.support.warc_partitions import (
    output_samples,
    partitions_config,
    write_corrupt_partition,
    write_partitions,
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("warcs")
    write_partitions(folder, 6)
    return folder


@pytest.fixture(scope="module")
def reference(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The samples of an uninterrupted one-worker run (no dedup)."""
    out = tmp_path_factory.mktemp("reference") / "out"
    config = partitions_config(inputs)
    config.executor.workers = 1
    summary = run_pipeline(config, out)
    assert not summary.failed
    samples = output_samples(out)
    assert len(samples) == summary.samples >= 12
    return samples


def test_two_workers_give_the_same_samples_as_one(inputs, reference, tmp_path):
    config = partitions_config(inputs)
    config.executor.workers = 2
    summary = run_pipeline(config, tmp_path / "out")
    assert output_samples(tmp_path / "out") == reference
    assert summary.stats.imbalances() == []
    assert summary.partitions == 6 and summary.resumed == 0


def test_rerun_resumes_everything_and_changes_nothing(inputs, reference, tmp_path):
    config = partitions_config(inputs)
    config.executor.workers = 2
    out = tmp_path / "out"
    first = run_pipeline(config, out)
    manifest = (out / "manifest.json").read_bytes()
    again = run_pipeline(config, out)
    assert again.resumed == 6
    assert (out / "manifest.json").read_bytes() == manifest
    assert again.stats.to_dict() == first.stats.to_dict()
    assert output_samples(out) == reference


def test_interrupted_partition_is_redone_whole_and_strays_removed(inputs, reference, tmp_path):
    config = partitions_config(inputs)
    config.executor.workers = 1
    out = tmp_path / "out"
    run_pipeline(config, out)
    # As if killed mid-partition: no completion record, one finished shard, one half-written.
    record = sorted((out / "_loom" / "done").glob("*.build.json"))[2]
    partition = record.name.split(".")[0]
    record.unlink()
    shards = sorted(out.glob(f"{partition}-*.tar"))
    shards[-1].unlink()
    (out / f"{partition}-00007.tar.tmp").write_bytes(b"half a shard")
    (out / f"{partition}-00009.tar").write_bytes(b"a shard of an older attempt")
    summary = run_pipeline(config, out)
    assert summary.resumed == 5
    assert not list(out.glob("*.tmp")) and not (out / f"{partition}-00009.tar").exists()
    assert output_samples(out) == reference


def test_corrupt_partition_fails_alone_and_is_reported(inputs, reference, tmp_path, capsys):
    folder = tmp_path / "in"
    shutil.copytree(inputs, folder)
    write_corrupt_partition(folder)
    config_path = tmp_path / "run.yaml"
    config_path.write_text(json.dumps({
        "sources": [{"type": "warc", "paths": ["in/*.warc.gz"]}],
        "filters": {"enabled": False}, "shards": {"max_samples": 3},
        "executor": {"workers": 2},
    }))
    out = tmp_path / "out"
    status = loom_main(["run", str(config_path), "--out", str(out), "--quiet", "--strict"])
    assert status == 1  # --strict: a failed partition fails the command
    printed = capsys.readouterr().out
    assert "1 failed" in printed and "part-bad.warc.gz" in printed
    stats = json.loads((out / "stats.json").read_text())
    assert len(stats["partitions"]["failed"]) == 1 and stats["partitions"]["failed"][0].startswith("part-bad")
    # Every other partition is there, complete (contents name the copied archives' paths: compare keys).
    assert output_samples(out).keys() == reference.keys()
    # Without --strict the run reports the failure and succeeds; the failed partition is retried.
    assert loom_main(["run", str(config_path), "--out", str(out), "--quiet"]) == 0
    assert "6 resumed, 1 failed" in capsys.readouterr().out


def test_output_of_another_config_is_refused_but_executor_changes_are_not(inputs, tmp_path):
    config = partitions_config(inputs)
    config.executor.workers = 1
    out = tmp_path / "out"
    run_pipeline(config, out)
    config.executor.workers = 2  # how a run executes does not change what it writes
    assert run_pipeline(config, out).resumed == 6
    other = partitions_config(inputs, shards={"max_samples": 5})
    with pytest.raises(OutputError, match="another config"):
        run_pipeline(other, out)
    (tmp_path / "stranger").mkdir()
    (tmp_path / "stranger" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not a loom output"):
        run_pipeline(config, tmp_path / "stranger")
    assert run_pipeline(other, out, overwrite=True).resumed == 0


def test_fsspec_memory_output_equals_local(inputs, reference):
    fsspec = pytest.importorskip("fsspec")
    config = partitions_config(inputs)
    config.executor.workers = 1  # memory:// lives in this process only
    url = "memory://loom-tests/run-a"
    config.executor.workers = 2
    with pytest.raises(ConfigError, match="this process only"):
        run_pipeline(config, url)
    config.executor.workers = 1
    try:
        summary = run_pipeline(config, url)
        assert summary.output == url and not summary.is_local
        assert output_samples(url) == reference
        assert run_pipeline(config, url).resumed == 6
        fs = fsspec.filesystem("memory")
        names = {p.rsplit("/", 1)[-1] for p in fs.ls("/loom-tests/run-a", detail=False)}
        assert {"manifest.json", "stats.json", "_loom"} <= names
    finally:
        fsspec.filesystem("memory").rm("/loom-tests", recursive=True)


def test_file_url_output_with_dedup_equals_plain_path(inputs, tmp_path):
    config = partitions_config(inputs, dedup=True)
    config.executor.workers = 2
    run_pipeline(config, tmp_path / "plain")
    summary = run_pipeline(config, (tmp_path / "url").as_uri())
    assert summary.is_local and summary.samples > 0
    assert output_samples((tmp_path / "url").as_uri()) == output_samples(tmp_path / "plain")


def test_progress_sees_every_partition_and_the_final_counts(inputs, tmp_path):
    progress = RunProgress(enabled=False)
    config = partitions_config(inputs)
    config.executor.workers = 2
    summary = run_pipeline(config, tmp_path / "out", progress=progress)
    assert progress.finished["docs"] == summary.stats.counts["doc.in"]
    assert progress.finished["drops"] == sum(summary.stats.drops.values())
    assert progress.running == {}


def test_one_run_at_a_time_per_output(inputs, tmp_path):
    config = partitions_config(inputs)
    config.executor.workers = 1
    out = tmp_path / "out"
    with RunState(RunOutput.of(out)).exclusive(), pytest.raises(OutputBusy, match="another loom run"):
        run_pipeline(config, out)
    assert run_pipeline(config, out).samples > 0  # the lock went with its holder


def test_fsspec_output_with_dedup_keeps_work_state_in_work_dir(inputs, tmp_path):
    fsspec = pytest.importorskip("fsspec")
    config = partitions_config(inputs, dedup=True)
    config.executor.workers = 1
    local = run_pipeline(config, tmp_path / "local")
    config.executor.work_dir = str(tmp_path / "work")
    url = "memory://loom-tests/run-dedup"
    fs = fsspec.filesystem("memory")
    try:
        summary = run_pipeline(config, url)
        assert summary.samples == local.samples > 0
        assert output_samples(url) == output_samples(tmp_path / "local")
        assert list((tmp_path / "work").glob("*/staging/*.tar"))  # staging went to the work folder
        # The work folder is lost (another machine) while the dedup phase is still to do:
        # the builds whose staging shards are gone are redone, and the answer is the same.
        for record in sorted(fs.glob("/loom-tests/run-dedup/_loom/done/*.dedup.json"))[1:]:
            fs.rm(record)  # one partition stays applied: it is applied again with the new decisions
        shutil.rmtree(tmp_path / "work")
        again = run_pipeline(config, url)
        assert again.resumed == 0
        assert output_samples(url) == output_samples(tmp_path / "local")
    finally:
        fs.rm("/loom-tests", recursive=True)
