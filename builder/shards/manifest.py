"""`manifest.json`: the list of shards of an output folder, with counts, sizes and checksums."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

from builder import __version__
from builder.shards.format import FORMAT_MINOR_VERSION, FORMAT_NAME, FORMAT_VERSION, MANIFEST_NAME
from builder.shards.writer import ShardInfo


def build_manifest(shards: Iterable[ShardInfo], config: dict[str, Any] | None = None,
                   tokens: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest; `tokens`: the run's token counts (text, image, tokenizer), when known."""
    shard_list = sorted(shards, key=lambda s: s.name)
    extra = {"tokens": tokens} if tokens is not None else {}
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "format_minor_version": FORMAT_MINOR_VERSION,
        "loom_version": __version__,
        "samples": sum(s.samples for s in shard_list),
        "bytes": sum(s.bytes for s in shard_list),
        **extra,
        "shards": [s.to_dict() for s in shard_list],
        "config": config or {},
    }


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to `path` via a temporary file and a rename, so readers never see half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_manifest(out_dir: str | Path, shards: Iterable[ShardInfo],
                   config: dict[str, Any] | None = None) -> Path:
    path = Path(out_dir) / MANIFEST_NAME
    write_json_atomic(path, build_manifest(shards, config))
    return path


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    return json.loads((Path(out_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
