"""`loom export parquet`: OBELICS columns plus image bytes, readable by `datasets`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from builder.cli import main
from builder.export.parquet import export_parquet
from builder.shards.reader import read_documents
from builder.validate.synthetic import write_synthetic_shards


@pytest.fixture()
def shards(tmp_path: Path) -> Path:
    return write_synthetic_shards(tmp_path / "out", n_docs=7, max_samples=3)


def test_rows_hold_the_documents(shards: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    result = export_parquet(shards, tmp_path / "pq", rows_per_group=2)
    assert [f.name for f in result.files] == ["shard-00000.parquet", "shard-00001.parquet",
                                              "shard-00002.parquet"]
    assert result.rows == 7 and result.images == 13 and not result.skipped
    table = pq.read_table(tmp_path / "pq")
    assert table.column_names[:4] == ["images", "texts", "metadata", "general_metadata"]
    rows = {row["key"]: row for row in table.to_pylist()}
    for doc in read_documents(shards):
        row = rows[doc.id]
        assert row["texts"] == [n.text if n.type == "text" else None for n in doc.nodes]
        assert [u for u in row["images"] if u] == [n.src for n in doc.images]
        assert [p["bytes"] for p in row["image_bytes"] if p] == [n.data for n in doc.images]
        meta = json.loads(row["metadata"])
        assert [m["width"] for m in meta if m and "width" in m] == [n.info["width"] for n in doc.images]
        general = json.loads(row["general_metadata"])
        assert general["url"] == doc.url and general["scores"] == doc.scores


def test_load_dataset_reads_images_as_pictures(shards: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    export_parquet(shards, tmp_path / "pq")
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "pq" / "*.parquet"), split="train",
                               cache_dir=str(tmp_path / "cache"))
    assert len(ds) == 7
    assert set(ds.column_names) >= {"images", "texts", "metadata", "general_metadata", "image_bytes"}
    row = ds[0]
    pictures = [p for p in row["image_bytes"] if p is not None]
    assert pictures and all(hasattr(p, "size") for p in pictures)
    from PIL import Image

    doc = next(d for d in read_documents(shards) if d.id == row["key"])
    with Image.open(io.BytesIO(doc.images[0].data)) as original:
        assert pictures[0].size == original.size


def test_cli_counts_and_reports_skipped_samples(shards: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["export", "parquet", str(shards), str(tmp_path / "a")]) == 0
    assert "exported 7 document(s), 13 image(s)" in capsys.readouterr().out
    # A sample whose image member is gone is skipped, named, and the exit code says so.
    import tarfile

    first = sorted(shards.glob("*.tar"))[0]
    with tarfile.open(first) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar]
    with tarfile.open(first, "w") as tar:
        for member, data in members:
            if not member.name.endswith(".0.png") or member.name.startswith(members[0][0].name.split(".")[0]):
                tar.addfile(member, io.BytesIO(data))
    assert main(["export", "parquet", str(shards), str(tmp_path / "b")]) == 1
    captured = capsys.readouterr()
    assert "exported 5 document(s)" in captured.out and "image member 0.png is missing" in captured.err
