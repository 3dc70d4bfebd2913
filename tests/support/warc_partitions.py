"""Many small WARC partitions made from the demo site, for executor and resume tests.

Partition `i` holds a rotating window of the site's pages (under per-partition URLs, so
documents differ by URL while some texts repeat across partitions: dedup has work to do)
plus every picture, so images come from the archive and no network is touched.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from builder.config import LoomConfig, parse_config
from builder.demo.site import build_site, write_warc


def write_partitions(folder: Path, count: int, pages_per_partition: int = 4) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    resources = build_site()
    pages = [r for r in resources if r.content_type.startswith("text/html")]
    pictures = [r for r in resources if not r.content_type.startswith("text/html")]
    paths = []
    for i in range(count):
        window = [pages[(i + k) % len(pages)] for k in range(pages_per_partition)]
        renamed = [type(p)(p.url.replace(".html", f"-p{i}.html"), p.content_type, p.body, p.status, p.headers)
                   for p in window]
        paths.append(write_warc(renamed + pictures, folder / f"part-{i:03d}.warc.gz"))
    return paths


def write_corrupt_partition(folder: Path, name: str = "part-bad.warc.gz") -> Path:
    """An archive of random bytes: no record can be read from it."""
    path = folder / name
    path.write_bytes(os.urandom(4096))
    return path


def partitions_config(input_dir: Path, *, dedup: bool = False, filters: bool = False,
                      images: bool = True, **extra: Any) -> LoomConfig:
    data: dict[str, Any] = {
        "name": "partitions-test",
        "sources": [{"type": "warc", "paths": [str(input_dir / "*.warc.gz")]}],
        "images": {"enabled": images},
        "filters": {"enabled": filters},
        "dedup": {"enabled": dedup},
        "shards": {"max_samples": 3},
        **extra,
    }
    return parse_config(data, "<test>", input_dir)


def output_samples(location: str | Path) -> dict[str, str]:
    """Every sample of an output (folder or fsspec URL), as key → sha256 of its members."""
    import hashlib
    import io
    import json
    import tarfile

    import fsspec

    fs, root = fsspec.core.url_to_fs(str(location))
    with fs.open(f"{root}/manifest.json", "rb") as fh:
        manifest = json.load(fh)
    samples: dict[str, str] = {}
    for shard in manifest["shards"]:
        members: dict[str, dict[str, bytes]] = {}
        with fs.open(f"{root}/{shard['name']}", "rb") as fh, tarfile.open(fileobj=io.BytesIO(fh.read())) as tar:
            for member in tar:
                key, _, suffix = member.name.partition(".")
                members.setdefault(key, {})[suffix] = tar.extractfile(member).read()  # type: ignore[union-attr]
        for key, parts in members.items():
            assert key not in samples, f"sample {key} appears twice"
            digest = hashlib.sha256()
            for suffix in sorted(parts):
                digest.update(suffix.encode() + b"\0" + hashlib.sha256(parts[suffix]).digest())
            samples[key] = digest.hexdigest()
    assert len(samples) == manifest["samples"], "manifest sample count differs from the shards"
    return samples
