"""The minimal configs users start from (configs/start/, shown in the README): each checks and runs.

Each config is checked as shipped (with the local files it names put beside it), then run
offline against real HTTP servers on loopback standing in for data.commoncrawl.org and the
sites to crawl: only the URLs and the loopback allowance are changed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from builder.cli import main
from builder.sources.warc_records import iter_records
from tests.factories import image_bytes
from tests.support.http_server import LoopbackServer, static

LOOPBACK = ["127.0.0.0/8"]
PROSE = ("A long paragraph about lighthouses, their keepers and the ships they guided home through fog "
         "and storm, written so that the page has enough words to be kept by the filters. ")


def setup(repo_dir: Path, tmp_path: Path, name: str) -> tuple[Path, dict]:
    """The shipped config copied into `tmp_path` beside the demo WARC it reads; (path, its YAML)."""
    config = tmp_path / f"{name}.yaml"
    shutil.copy(repo_dir / "configs" / "start" / f"{name}.yaml", config)
    (tmp_path / "warcs").mkdir()
    shutil.copy(repo_dir / "configs" / "demo" / "site.warc.gz", tmp_path / "warcs" / "site.warc.gz")
    return config, yaml.safe_load(config.read_text())


def run(tmp_path: Path, data: dict) -> dict:
    """Run `data` as a config; the output's stats."""
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    return json.loads((out / "stats.json").read_text())


def test_common_crawl_warc_files(repo_dir, tmp_path):
    config, data = setup(repo_dir, tmp_path, "cc-warc")
    assert main(["config", "check", str(config)]) == 0
    remote = data["sources"][0]["paths"][1]
    assert remote.startswith("https://data.commoncrawl.org/crawl-data/")
    assert "no images" in config.read_text().lower()  # the note users must read
    warc = (tmp_path / "warcs" / "site.warc.gz").read_bytes()
    with LoopbackServer("127.0.0.2") as server:
        path = "/" + remote.removeprefix("https://data.commoncrawl.org/")
        server.route(path, static(warc, "application/warc"))
        data["sources"][0]["paths"][1] = server.url(path)
        data["sources"][0]["remote"] = {"allow_networks": LOOPBACK}
        stats = run(tmp_path, data)
    assert stats["counts"]["record.in"] == 2 * 84  # the local file and the "remote" one
    assert stats["balance"]["doc"]["out"] >= 6


def test_a_list_of_urls_to_crawl(repo_dir, tmp_path):
    config, data = setup(repo_dir, tmp_path, "crawl")
    (tmp_path / "seeds.txt").write_text("# my seeds\nhttps://example.org/\n")
    assert main(["config", "check", str(config)]) == 0
    with LoopbackServer("127.0.0.3") as site:
        for i in range(2):
            link = "<a href='/page1.html'>next</a>" if i == 0 else ""
            site.route(f"/page{i}.html", static(
                f"<html><head><title>Page {i}</title></head><body><article><p>{PROSE * 3}</p>"
                f"<img src='/photo{i}.png' alt='a photo'><p>{PROSE}</p>{link}</article></body></html>".encode(),
                "text/html; charset=utf-8"))
            site.route(f"/photo{i}.png", static(image_bytes(300, 200, (40 * i, 90, 120)), "image/png"))
        (tmp_path / "seeds.txt").write_text(site.url("/page0.html") + "\n")
        data["sources"][0]["fetch"]["allow_networks"] = LOOPBACK
        data["images"]["fetch"]["allow_networks"] = LOOPBACK
        stats = run(tmp_path, data)
    assert stats["balance"]["doc"] == {"in": 2, "out": 2, "dropped": 0}  # the seed and the page it links
    assert stats["balance"]["image"]["out"] == 2
    assert list((tmp_path / "out" / "crawl-warc").glob("*.warc.gz"))


def test_common_crawl_index_pointers(repo_dir, tmp_path):
    config, data = setup(repo_dir, tmp_path, "cc-index")
    warc = tmp_path / "warcs" / "site.warc.gz"
    with open(warc, "rb") as fh:
        rows = [{"url": r.url, "warc_filename": f"crawl-data/{warc.name}", "warc_record_offset": r.offset,
                 "warc_record_length": r.length}
                for r in iter_records(fh, read_pages=False, max_payload=0) if r.url.endswith(".html")]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "pointers.parquet")
    assert main(["config", "check", str(config)]) == 0
    assert data["sources"][0]["prefix"] == "https://data.commoncrawl.org/"
    with LoopbackServer("127.0.0.4") as server:
        server.route(f"/crawl-data/{warc.name}", static(warc.read_bytes(), "application/warc"))
        data["sources"][0]["prefix"] = server.origin + "/"
        data["sources"][0]["remote"] = {"allow_networks": LOOPBACK, "retries": 0}
        data["images"]["fetch"]["allow_networks"] = LOOPBACK
        stats = run(tmp_path, data)
    assert stats["counts"]["record.in"] == len(rows)
    assert stats["balance"]["doc"]["in"] >= 6
