"""A killed run's leftovers: dedup scratch folders are removed on resume, and the summary counts a
partition whose build phase was reused as resumed (it said "0 resumed" when only dedup was redone)."""

from __future__ import annotations

from pathlib import Path

from builder.cli import main
from tests.hostile.test_cli_bad_input import PAGE


def test_resume_removes_dedup_scratch_and_counts_reused_builds(tmp_path: Path, capsys) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.html").write_text(PAGE.replace("Lighthouses", f"Lighthouses {name}"))
    config = tmp_path / "run.yaml"
    config.write_text("sources:\n  - {type: html, paths: [a.html, b.html], url: 'https://example.org/x', "
                      "files_per_partition: 1}\nfilters: {enabled: false}\nimages: {enabled: false}\n"
                      "validate: {enabled: false}\ndedup: {enabled: true}\n")
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    # As a run killed in its dedup phase leaves it: scratch folders, and no dedup completion records.
    scratch = [out / "_loom/dedup/.tmp-4242-deadbeef0000", out / "_loom/dedup/reduce/x/.old-4242-deadbeef0000"]
    for folder in scratch:
        folder.mkdir(parents=True)
        (folder / "part").write_bytes(b"half written")
    for record in (out / "_loom/done").glob("*.dedup.json"):
        record.unlink()
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    assert "2 partitions (2 resumed" in capsys.readouterr().out
    assert not any(folder.exists() for folder in scratch)
