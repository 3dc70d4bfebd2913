"""Where the phases keep their work, under the run's work folder (a folder every worker sees)."""

from __future__ import annotations

from pathlib import Path

from builder.run_output import RunOutput

PHASE_PAGES = "pages"
PHASE_FETCH = "fetch"


def fetch_dir(output: RunOutput) -> Path:
    """Blobs, per-bucket journals, URL lists (see `builder.phases.store`)."""
    return output.work_dir / "fetch"


def lists_dir(output: RunOutput) -> Path:
    return fetch_dir(output) / "lists"


def pages_file(output: RunOutput, partition: str) -> Path:
    """A partition's documents after the pages phase, one JSON line each (images as URLs or blobs)."""
    return output.work_dir / "pages" / f"{partition}.jsonl.gz"


def listed_buckets(output: RunOutput, partition: str) -> list[int]:
    folder = lists_dir(output) / partition
    if not folder.is_dir():
        return []
    return sorted(int(p.name.split(".")[0]) for p in folder.glob("*.jsonl"))
