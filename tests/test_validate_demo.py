"""`loom run` with `validate.enabled` on the bundled demo: the pipeline's own output passes every check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from builder.cli import main

pytest.importorskip("transformers")


def test_demo_run_validates_and_exports(tmp_path: Path, repo_dir: Path, capsys: pytest.CaptureFixture) -> None:
    config = yaml.safe_load((repo_dir / "configs" / "demo.yaml").read_text())
    for source in config["sources"]:
        source["paths"] = [str(repo_dir / "configs" / p) for p in source["paths"]]
    config["validate"] = {"enabled": True, "steps": 3, "samples": 6, "generate_samples": 1}
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "demo.yaml"), "--out", str(out), "--quiet"]) == 0
    report = json.loads((out / "validation" / "report.json").read_text())
    assert report["ok"], [c for c in report["checks"] if not c["ok"]]
    assert report["corpus"]["samples"] == json.loads((out / "manifest.json").read_text())["samples"]
    assert next(c for c in report["checks"] if c["name"] == "integrity.stats")["ok"]

    assert main(["export", "parquet", str(out), str(tmp_path / "pq")]) == 0
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "pq").num_rows == report["corpus"]["samples"]
