"""examples/finetune_idefics2.py: a few Trainer steps with the tiny model on CPU, from loom shards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from builder.validate.synthetic import write_synthetic_shards

pytest.importorskip("transformers")
pytest.importorskip("accelerate")


def test_finetune_example_runs_and_saves_a_loadable_model(tmp_path: Path, repo_dir: Path) -> None:
    shards = write_synthetic_shards(tmp_path / "out", n_docs=8, max_samples=3)
    out = tmp_path / "ft"
    proc = subprocess.run(
        [sys.executable, str(repo_dir / "examples" / "finetune_idefics2.py"), str(shards), "--output-dir",
         str(out), "--max-steps", "3", "--lr", "1e-3", "--chat", "--num-workers", "0"],
        capture_output=True, text=True, timeout=240,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HF_HOME": str(tmp_path / "hf"), "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out / "loom_finetune.json").read_text())
    assert summary["steps"] == 3 and summary["first_loss"] > 0 and summary["last_loss"] > 0
    # What the example saved is a checkpoint folder `loom validate --model DIR` accepts.
    from builder.validate.config import ValidateConfig
    from builder.validate.run import validate_output

    report = validate_output(shards, ValidateConfig(model=str(out), samples=4, steps=2, generate_samples=1,
                                                    report_dir=str(tmp_path / "r")))
    assert report.ok, report.summary_lines()
