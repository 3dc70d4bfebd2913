"""OBELICS-format Parquet rows become documents whose images are fetched into shards (`loom run`)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from builder.cli import main
from builder.config import parse_config
from builder.context import RunContext
from builder.errors import SourceError
from builder.shards.reader import read_documents
from builder.sources import build_sources
from builder.sources.obelics import MalformedRow, row_to_document
from tests.factories import image_bytes
from tests.support.http_server import LoopbackServer, static, status

TEXT = ("Harbour seals rest on the sandbanks at low tide and slip back into the water as the sea returns. "
        "Volunteers count them every summer from the dunes, keeping well back so that the animals stay calm.")

SCHEMA = pa.schema([("images", pa.list_(pa.string())), ("metadata", pa.string()),
                    ("general_metadata", pa.string()), ("texts", pa.list_(pa.string()))])


def obelics_row(i: int, image_urls: list[str]) -> dict:
    texts, images, meta = [f"Seal count {i}. {TEXT}"], [None], [None]
    for j, url in enumerate(image_urls):
        images += [url, None]
        texts += [None, f"Paragraph {j} after image {j} of document {i}. {TEXT}"]
        meta += [{"document_url": f"https://seals.example/{i}", "unformatted_src": url, "src": url,
                  "formatted_filename": f"seal{j}", "alt_text": f"seal {i}.{j}", "rendered_width": 200,
                  "rendered_height": 160}, None]
    general = {"url": f"https://seals.example/{i}", "warc_filename": f"crawl-data/CC-MAIN-x/seg{i}.warc.gz",
               "warc_record_offset": 1000 * i, "warc_record_length": 900 + i}
    return {"images": images, "metadata": json.dumps(meta), "general_metadata": json.dumps(general), "texts": texts}


def test_row_to_document_keeps_order_alt_text_and_provenance():
    doc = row_to_document(obelics_row(3, ["http://img.example/a.jpg", "http://img.example/b.jpg"]), "f:3")
    assert [n.type for n in doc.nodes] == ["text", "image", "text", "image", "text"]
    assert [n.src for n in doc.images] == ["http://img.example/a.jpg", "http://img.example/b.jpg"]
    assert doc.images[0].alt == "seal 3.0" and doc.images[0].info["rendered_width"] == 200
    assert doc.url == "https://seals.example/3"
    assert (doc.provenance.warc_file, doc.provenance.warc_offset, doc.provenance.warc_length) == \
        ("crawl-data/CC-MAIN-x/seg3.warc.gz", 3000, 903)


@pytest.mark.parametrize("row, message", [
    ({"texts": ["a", None], "images": [None]}, "texts has 2 entries"),
    ({"texts": ["a", "b"], "images": [None, "http://x/y.jpg"]}, "position 1"),
    ({"texts": [None], "images": [None]}, "position 0"),
    ({"texts": ["a"], "images": [None], "general_metadata": "{broken"}, "not valid JSON"),
    ({"texts": "a", "images": None}, "must be lists"),
])
def test_malformed_rows_are_refused_with_the_reason(row, message):
    with pytest.raises(MalformedRow, match=message):
        row_to_document(row, "f:0")


def test_loom_run_turns_obelics_rows_into_shards_with_images(tmp_path: Path):
    with LoopbackServer("127.0.0.2") as server:
        for k in range(4):
            server.route(f"/img/{k}.png", static(image_bytes(200 + 10 * k, 160, (40 * k, 90, 200)), "image/png"))
        server.route("/img/gone.png", status(404))
        rows = [obelics_row(0, [server.url("/img/0.png"), server.url("/img/1.png")]),
                obelics_row(1, [server.url("/img/2.png")]),
                obelics_row(2, [server.url("/img/3.png"), server.url("/img/gone.png")]),
                {"images": [None, None], "metadata": None, "general_metadata": None, "texts": ["only", None]},
                obelics_row(4, [server.url("/img/0.png")])]
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), tmp_path / "obelics-00000.parquet")
        config = {"sources": [{"type": "obelics", "paths": ["obelics-*.parquet"], "rows_per_partition": 3}],
                  "filters": {"enabled": False}, "executor": {"workers": 1},
                  "images": {"fetch": {"allow_networks": ["127.0.0.0/8"], "per_host_delay_s": 0.0, "retries": 0}}}
        (tmp_path / "loom.yaml").write_text(yaml.safe_dump(config))
        assert main(["run", str(tmp_path / "loom.yaml"), "--out", str(tmp_path / "out"), "--quiet"]) == 0

    docs = {d.url: d for shard in sorted((tmp_path / "out").glob("*.tar")) for d in read_documents(shard)}
    assert sorted(docs) == [f"https://seals.example/{i}" for i in (0, 1, 2, 4)]
    first = docs["https://seals.example/0"]
    assert [n.type for n in first.nodes] == ["text", "image", "text", "image", "text"]
    assert all(n.data and n.info.get("width") for n in first.images)  # the pictures are in the shard
    assert first.images[1].info["width"] == 210
    assert len(docs["https://seals.example/2"].images) == 1  # the 404 image is dropped, the document kept
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["drops"]["record.malformed"] == 1
    assert stats["drops"]["image.http_404"] == 1
    assert stats["counts"]["image.in"] == 6
    for unit in ("record", "doc", "image"):
        bal = stats["balance"][unit]
        assert bal["in"] == bal["out"] + bal["dropped"], unit


def test_partitions_split_rows_and_reject_other_parquet(tmp_path: Path):
    rows = [obelics_row(i, []) for i in range(7)]
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), tmp_path / "a.parquet")
    cfg = parse_config({"sources": [{"type": "obelics", "paths": [str(tmp_path / "a.parquet")],
                                     "rows_per_partition": 3}]})
    source = build_sources(cfg)[0]
    parts = source.partitions()
    assert len(parts) == 3
    ctx = RunContext(cfg)
    urls = [p.url for part in parts for p in source.read(part, ctx)]
    assert urls == [f"https://seals.example/{i}" for i in range(7)]

    pq.write_table(pa.table({"url": ["x"]}), tmp_path / "other.parquet")
    cfg = parse_config({"sources": [{"type": "obelics", "paths": [str(tmp_path / "other.parquet")]}]})
    with pytest.raises(SourceError, match="not OBELICS format: no column texts, images"):
        build_sources(cfg)[0].partitions()


def test_parquet_over_http_is_read_by_byte_ranges_and_over_fsspec(tmp_path: Path):
    import fsspec

    from tests.test_sources_remote_warc import LOOPBACK, ranged

    rows = [obelics_row(i, [f"http://img.example/{i}.png"]) for i in range(40)]
    local = tmp_path / "obelics.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), local, row_group_size=10)
    data = local.read_bytes()

    def urls(paths: list[str], **extra) -> list[str]:
        cfg = parse_config({"sources": [{"type": "obelics", "paths": paths, "rows_per_partition": 15, **extra}]})
        source = build_sources(cfg)[0]
        ctx = RunContext(cfg)
        parts = source.partitions()
        assert len(parts) == 3
        return [p.url for part in parts for p in source.read(part, ctx)]

    expected = [f"https://seals.example/{i}" for i in range(40)]
    assert urls([str(local)]) == expected
    with LoopbackServer("127.0.0.2") as server:
        url = server.route("/obelics.parquet", ranged(data, "application/octet-stream"))
        assert urls([url], remote=LOOPBACK) == expected
        assert all(h.get("Range") for _, h in server.log)  # never the whole file in one request
    fs = fsspec.filesystem("memory")
    fs.pipe("/obelics-test/train-0.parquet", data)
    try:
        assert urls(["memory://obelics-test/*.parquet"]) == expected
    finally:
        fs.rm("/obelics-test", recursive=True)
