"""What loom may delete or write into: only its own outputs, and in them only its own files.

A folder (or URL prefix) is a loom output when it holds a run record (`_loom/run.json`,
written when a run claims it) or, for `loom validate` and `loom rethreshold`, a manifest of
loom's shard format. `--overwrite` clears a loom output of the names below and nothing else;
any other non-empty location is refused (exit 2) with nothing touched, so a mistyped `--out`
cannot delete a user's files.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from builder.errors import OutputError
from builder.run_output import RunOutput
from builder.run_state import RUN_RECORD
from builder.shards.format import FORMAT_NAME, MANIFEST_NAME

# Top-level names a run writes (a new kind of output file must be listed here to be cleared).
LOOM_NAMES = frozenset({"_loom", MANIFEST_NAME, "stats.json", "report.html", "rejects", "validation",
                        "crawl-warc", "rethreshold_stats.json", "README.md"})  # README.md: the dataset card
SHARD_NAME = re.compile(r"^[A-Za-z0-9_.-]+-\d{5,}\.tar(\.tmp)?$")


def is_loom_name(name: str) -> bool:
    """A top-level entry of an output that loom wrote (shards included)."""
    return name in LOOM_NAMES or bool(SHARD_NAME.match(name))


def _names(output: RunOutput) -> list[str]:
    return output.list_names("") if output.exists() else []


def clear_for_overwrite(output: RunOutput) -> None:
    """Delete loom's own files from `output`; refuse (OutputError, nothing deleted) unless it is a loom output."""
    if not output.exists():
        return
    if not output.fs.isdir(output.root):
        raise OutputError(f"{output} is a file, not a folder; choose another --out")
    names = _names(output)
    if not names:
        return
    if not output.exists(RUN_RECORD):
        raise OutputError(
            f"{output} is not a loom output (no {RUN_RECORD}): --overwrite only replaces a loom run; "
            f"nothing was deleted. It holds {_sample(names)}; choose another --out")
    for name in names:
        if is_loom_name(name):
            output.fs.rm(output.path(name), recursive=True)


def check_output_location(output: RunOutput) -> None:
    """Refuse an output that is an existing file (a run writes a folder there)."""
    if output.exists() and not output.fs.isdir(output.root):
        raise OutputError(f"{output} is a file, not a folder; choose another --out")


def is_loom_output(folder: Path) -> bool:
    """A folder holding a run record or a manifest of loom's shard format."""
    if (folder / RUN_RECORD).is_file():
        return True
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT_NAME


def check_writable_folder(folder: Path, command: str, option: str) -> None:
    """Refuse to write into `folder` unless it is missing, empty or a loom output (OutputError, exit 2)."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{command}: {folder} is a file, not a folder; choose another {option}")
    if not folder.is_dir() or is_loom_output(folder):
        return
    names = sorted(p.name for p in folder.iterdir())
    if names:
        raise OutputError(f"{command}: {folder} is not a loom output and not empty ({_sample(names)}); "
                          f"nothing was written; choose another {option}")


def _sample(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def remove_stale_temporaries(work_dir: Path) -> None:
    """Delete the scratch folders (``.tmp-*``, ``.old-*``) a killed run left in its dedup state.

    Called by a run holding the output's lock, so no live writer owns them.
    """
    dedup = work_dir / "dedup"
    if not dedup.is_dir():
        return
    for leftover in [*dedup.rglob(".tmp-*"), *dedup.rglob(".old-*")]:
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
