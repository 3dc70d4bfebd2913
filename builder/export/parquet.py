"""Shards → Parquet with OBELICS's columns, plus the image bytes, for the Hugging Face ecosystem.

`datasets.load_dataset("webdataset")` cannot read a varying number of image members per
sample, so this is the way into `datasets`. Columns, one row per document:

- ``images``: list of image URLs, ``null`` at text positions (OBELICS);
- ``texts``: list of texts, ``null`` at image positions (OBELICS);
- ``metadata``: JSON string, a list aligned with the positions: ``image_info`` at images,
  ``text_info`` at texts (OBELICS keeps ``null`` there; loom keeps the tag);
- ``general_metadata``: JSON string: url, warc_filename/offset/length (OBELICS names), plus
  loom's key, document metadata, provenance and scores;
- ``image_bytes``: list aligned with the positions, ``{"bytes", "path"}`` at images, ``null``
  at texts; typed as a list of `datasets.Image` so `load_dataset` decodes it to Pillow;
- ``key``, ``url``: the sample key and page URL.

One Parquet file per shard (same name, ``.parquet``), written via a temporary file.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.shards.reader import iter_raw_samples, shard_paths
from builder.validate.schema import URL_REF_RE

ROWS_PER_GROUP = 256


@dataclass
class ExportResult:
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    images: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> samples not exported


def arrow_schema() -> Any:
    import pyarrow as pa

    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    schema = pa.schema([
        ("images", pa.list_(pa.string())),
        ("texts", pa.list_(pa.string())),
        ("metadata", pa.string()),
        ("general_metadata", pa.string()),
        ("image_bytes", pa.list_(image)),
        ("key", pa.string()),
        ("url", pa.string()),
    ])
    return schema.with_metadata(_hf_metadata())


def _hf_metadata() -> dict[bytes, bytes]:
    """The `datasets` feature description, so `load_dataset` knows `image_bytes` holds images."""
    try:
        import datasets
    except ImportError:  # without `datasets` installed the file is still plain, readable Parquet
        return {}
    strings = datasets.Sequence(datasets.Value("string"))
    features = datasets.Features({
        "images": strings, "texts": strings, "metadata": datasets.Value("string"),
        "general_metadata": datasets.Value("string"), "image_bytes": datasets.Sequence(datasets.Image()),
        "key": datasets.Value("string"), "url": datasets.Value("string"),
    })
    return {b"huggingface": json.dumps({"info": {"features": features.to_dict()}}).encode()}


def sample_row(sample: dict[str, Any]) -> dict[str, Any]:
    """One raw shard sample → one Parquet row (raises ValueError on a malformed sample)."""
    try:
        data = json.loads(sample["json"])
    except (KeyError, ValueError) as exc:
        raise ValueError(f"no valid JSON member ({exc})") from None
    texts, refs = data.get("texts"), data.get("images")
    if not isinstance(texts, list) or not isinstance(refs, list) or len(texts) != len(refs):
        raise ValueError("texts and images are not aligned lists")
    text_info = data.get("text_info") or [None] * len(texts)
    image_info = data.get("image_info") or [None] * len(texts)
    urls: list[str | None] = []
    payloads: list[dict[str, Any] | None] = []
    per_node: list[Any] = []
    for i, ref in enumerate(refs):
        if ref is None:
            urls.append(None)
            payloads.append(None)
            per_node.append(text_info[i])
            continue
        info = image_info[i] or {}
        if URL_REF_RE.match(ref):  # a URL-only image (images.enabled: false): no bytes to export
            urls.append(ref)
            payloads.append(None)
            per_node.append(info)
            continue
        payload = sample.get(ref)
        if not isinstance(payload, bytes):
            raise ValueError(f"image member {ref} is missing")
        urls.append(info.get("src", ref))
        payloads.append({"bytes": payload, "path": f"{data['key']}.{ref}"})
        per_node.append(info)
    prov = data.get("provenance") or {}
    general = {
        "url": data.get("url"),
        "warc_filename": prov.get("warc_file"),
        "warc_record_offset": prov.get("warc_offset"),
        "warc_record_length": prov.get("warc_length"),
        "key": data.get("key"),
        "metadata": data.get("metadata") or {},
        "provenance": prov,
        "scores": data.get("scores") or {},
    }
    return {
        "images": urls,
        "texts": texts,
        "metadata": json.dumps(per_node, ensure_ascii=False),
        "general_metadata": json.dumps(general, ensure_ascii=False),
        "image_bytes": payloads,
        "key": data.get("key"),
        "url": data.get("url"),
    }


def export_parquet(shards_dir: str | Path, out_dir: str | Path,
                   rows_per_group: int = ROWS_PER_GROUP) -> ExportResult:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    schema = arrow_schema()
    result = ExportResult()
    for shard in shard_paths(shards_dir):
        final = out_dir / (shard.stem + ".parquet")
        tmp = final.with_name(final.name + ".tmp")
        rows: list[dict[str, Any]] = []
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for sample in iter_raw_samples([shard]):
                try:
                    row = sample_row(sample)
                except ValueError as exc:
                    result.skipped[f"{shard.name}:{sample.get('__key__')}: {exc}"] += 1
                    continue
                rows.append(row)
                result.images += sum(p is not None for p in row["image_bytes"])
                if len(rows) >= rows_per_group:
                    writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                    result.rows += len(rows)
                    rows = []
            if rows:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                result.rows += len(rows)
        os.replace(tmp, final)
        result.files.append(final)
    return result
