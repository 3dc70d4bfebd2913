"""What `loom run` says about its outcome: empty or tiny output, skipped validation, URL-only images."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from builder.cli import main
from builder.shards.reader import read_documents


def demo_config(repo_dir: Path, tmp_path: Path, extra: str) -> Path:
    """The bundled demo archive (offline) with `extra` YAML appended."""
    path = tmp_path / "run.yaml"
    path.write_text(f"name: t\nsources:\n  - {{type: warc, paths: [{repo_dir / 'configs/demo/site.warc.gz'}]}}\n"
                    f"{extra}\n")
    return path


def test_a_run_that_keeps_nothing_says_so_and_fails_under_strict(repo_dir, tmp_path, capsys):
    config = demo_config(repo_dir, tmp_path, "filters: {document: {words: {min: 100000}}}")
    assert main(["run", str(config), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "WARNING: the output is empty: all 9 documents were dropped" in out
    assert "top causes:" in out and "doc.words_below_min 7" in out  # named, with counts
    assert "doc.no_text_left 2 (paragraph.stopwords 1" in out  # root causes with their breakdown
    assert "with --strict this run would exit 1" in out
    # Resumed (nothing to redo), the same books: --strict makes it a failure.
    assert main(["run", str(config), "--out", str(tmp_path / "a"), "--quiet", "--strict"]) == 1


def test_a_run_that_keeps_a_small_share_warns(repo_dir, tmp_path, capsys):
    config = demo_config(repo_dir, tmp_path, "shards: {min_kept_share: 0.9}")
    assert main(["run", str(config), "--out", str(tmp_path / "a"), "--quiet", "--strict"]) == 1
    assert "the run kept 6 of 9 documents (66.7%), under shards.min_kept_share (90%)" in capsys.readouterr().out
    # A healthy run is quiet and exits 0 under --strict.
    config = demo_config(repo_dir, tmp_path, "")
    assert main(["run", str(config), "--out", str(tmp_path / "b"), "--quiet", "--strict"]) == 0
    assert "WARNING" not in capsys.readouterr().out
    rejects = list(read_documents(tmp_path / "b" / "rejects"))  # keep_rejects is on by default
    assert {d.metadata["drop_reason"] for d in rejects} == {"doc.no_text_left", "doc.no_image_left"}


def test_images_disabled_keeps_url_only_images_and_validate_says_so(repo_dir, tmp_path, capsys):
    config = demo_config(repo_dir, tmp_path, "images: {enabled: false}")
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    docs = list(read_documents(out))
    assert docs and all(d.images for d in docs)
    assert all(n.data is None and n.src.startswith("http") for d in docs for n in d.images)
    stats = json.loads((out / "stats.json").read_text())
    assert "image.not_fetched" not in stats["drops"]
    assert stats["balance"]["image"]["out"] == sum(len(d.images) for d in docs)
    capsys.readouterr()
    assert main(["validate", str(out), "--integrity-only"]) == 0  # the shards meet the format
    assert main(["validate", str(out)]) == 0
    text = capsys.readouterr().out
    assert "the shards have no image members" in text and "images.enabled: false" in text
    assert "SKIP  processor.inputs" in text and "FAIL" not in text
    assert main(["validate", str(out), "--strict"]) == 1
    assert main(["export", "parquet", str(out), str(tmp_path / "pq")]) == 0  # URLs, no bytes


@pytest.fixture
def no_torch(tmp_path: Path) -> dict[str, str]:
    """An environment in which `import torch` fails, as after a plain `pip install -e .`."""
    blocker = tmp_path / "no_torch" / "torch"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError(\"No module named 'torch'\")\n")
    root = Path(__file__).resolve().parents[1]
    return {**os.environ, "PYTHONPATH": f"{blocker.parent}{os.pathsep}{root}"}


def test_validation_that_cannot_run_is_skipped_with_the_fix(repo_dir, tmp_path, no_torch):
    config = demo_config(repo_dir, tmp_path, "validate: {enabled: true, model: tiny, steps: 1}")

    def loom(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "builder.cli", *args], capture_output=True, text=True,
                              env=no_torch, timeout=300)

    result = loom("run", str(config), "--out", str(tmp_path / "a"), "--quiet", "--strict")
    assert "validation SKIPPED" in result.stdout and "pip install 'loom[validate]'" in result.stdout
    assert "not a failure of the shards (--strict: exit 1)" in result.stdout
    assert "FAILED" not in result.stdout
    assert result.returncode == 1, result.stderr  # 0 without --strict (after_run's status is 0)
    report = json.loads((tmp_path / "a" / "validation" / "report.json").read_text())
    assert report["ok"] and report["failed_checks"] == [] and "model.load" in report["skipped_checks"]
