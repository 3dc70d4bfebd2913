from __future__ import annotations

import gzip
import json
from pathlib import Path

from builder.config import parse_config
from builder.context import RunContext
from builder.sources import plan_partitions
from builder.sources.html import HtmlSource


def _read(cfg):
    source = HtmlSource(cfg.sources[0], 0, cfg)
    ctx = RunContext(cfg)
    pages = [p for part in source.partitions() for p in source.read(part, ctx)]
    return pages, ctx


def test_files_folders_gzip_and_url_map(tmp_path):
    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    (site / "a.html").write_bytes(b"<html><p>a</p></html>")
    (site / "sub" / "b.html.gz").write_bytes(gzip.compress(b"<html><p>b</p></html>"))
    (site / "notes.txt").write_text("not a page")
    (tmp_path / "map.tsv").write_text("site/a.html\thttps://example.org/a\n")
    cfg = parse_config({"sources": [{"type": "html", "paths": [str(site)], "urls": "map.tsv"}]},
                       base_dir=tmp_path)
    pages, ctx = _read(cfg)
    by_url = {p.url: p.body for p in pages}
    assert by_url["https://example.org/a"] == b"<html><p>a</p></html>"
    assert by_url[(site / "sub" / "b.html.gz").resolve().as_uri()] == b"<html><p>b</p></html>"
    assert ctx.stats.counts["record.in"] == 2 and ctx.stats.imbalances(("record",)) == []


def test_one_url_for_all_and_partition_size(tmp_path):
    for i in range(5):
        (tmp_path / f"p{i}.html").write_text(f"<p>{i}</p>")
    cfg = parse_config({"sources": [{"type": "html", "paths": [str(tmp_path / "*.html")],
                                     "url": "http://fakehost/test/page.html", "files_per_partition": 2}]})
    assert [len(p.items) for p in plan_partitions(cfg)] == [2, 2, 1]
    pages, _ = _read(cfg)
    assert {p.url for p in pages} == {"http://fakehost/test/page.html"}


def test_oversized_and_unreadable_files_are_counted(tmp_path):
    (tmp_path / "big.html").write_bytes(b"<p>" + b"x" * 2000 + b"</p>")
    (tmp_path / "bad.html.gz").write_bytes(b"not gzip at all")
    cfg = parse_config({"sources": [{"type": "html", "paths": [str(tmp_path)]}],
                        "extract": {"max_page_bytes": 1000}})
    pages, ctx = _read(cfg)
    assert pages == []
    assert ctx.stats.drops == {"record.too_large": 1, "record.unreadable": 1}
    assert "bad.html.gz" in ctx.stats.errors[0]


def _run_pages(tmp_path, images: list[str], settings: str, source_extra: str = "") -> Path:
    """Write one article page per image reference, run `loom run` over them, return the output folder."""
    from builder.cli import main

    text = " ".join(["A long walk along the river took most of the afternoon and the weather held."] * 3)
    for i, src in enumerate(images):
        (tmp_path / f"p{i}.html").write_text(
            f"<html><body><article><p>{text} {i}</p><img src='{src}'></article></body></html>")
    config = tmp_path / "c.yaml"
    config.write_text(f"sources: [{{type: html, paths: ['{tmp_path}/*.html']{source_extra}}}]\n{settings}")
    assert main(["run", str(config), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    return tmp_path / "out"


def test_pages_sharing_one_url_become_distinct_samples(tmp_path):
    """The extraction eval gives every page the same URL: each file must still be its own sample."""
    from builder.shards.reader import read_documents

    out = _run_pages(tmp_path, ["img.png"] * 3, "filters: {enabled: false}\nimages: {enabled: false}\n",
                     ", url: 'http://127.0.0.1/same.html'")
    assert '"partition.failed"' not in (out / "stats.json").read_text()
    docs = list(read_documents(out))
    assert len(docs) == 3 and len({d.id for d in docs}) == 3


def test_dedup_run_without_image_fetching(tmp_path):
    """Staged (dedup) runs keep images URL-only like direct runs do (images.enabled: false), not fail."""
    out = _run_pages(tmp_path, ["http://127.0.0.1/a0.png", "http://127.0.0.1/a1.png"],
                     "filters: {enabled: false}\nimages: {enabled: false}\ndedup: {enabled: true}\n")
    stats = json.loads((out / "stats.json").read_text())
    assert "image.not_fetched" not in stats["drops"] and stats["balance"]["image"]["in"] == 2
    assert all(b["in"] == b["out"] + b["dropped"] for b in stats["balance"].values())


def test_a_folder_skips_companion_and_hidden_files(tmp_path, caplog):
    case = tmp_path / "test-pages" / "article"
    case.mkdir(parents=True)
    for name in ("source.html", "expected.html", "expected-metadata.html", ".draft.html"):
        (case / name).write_text("<html><body><p>page</p></body></html>")
    cfg = parse_config({"sources": [{"type": "html", "paths": [str(tmp_path / "test-pages")]}]})
    with caplog.at_level("WARNING"):
        pages, _ = _read(cfg)
    assert [Path(p.provenance.file).name for p in pages] == ["source.html"]
    assert "relative image paths resolve to file://" in caplog.text  # no URLs: said once, up front
    # The rules are a config key; a file named outright is always read.
    cfg = parse_config({"sources": [{"type": "html", "paths": [str(tmp_path / "test-pages"),
                                                                 str(case / "expected.html")],
                                     "exclude": [".*"], "url": "https://example.org/"}]})
    pages, _ = _read(cfg)
    assert sorted(Path(p.provenance.file).name for p in pages) == ["expected-metadata.html", "expected.html",
                                                                  "source.html"]


def test_local_pages_resolve_protocol_relative_images_to_https(tmp_path, capsys):
    from builder.cli import main
    from builder.inspect.corpus_index import domain_of

    page = tmp_path / "saved.html"
    page.write_text("<html><body><p>A paragraph of plain prose that reads like an article, with commas, "
                    "clauses, and enough words.</p><img src='//cdn.example.org/a.jpg'><img src='img/b.jpg'>"
                    "<img src='//cdn.example.org/c.jpg'></body></html>")
    assert main(["extract", str(page)]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["images"][1] == "https://cdn.example.org/a.jpg"  # not file://cdn.example.org/a.jpg
    assert data["images"][2] == (tmp_path / "img" / "b.jpg").resolve().as_uri()
    assert captured.err.count("cannot be fetched") == 1
    assert domain_of(data["url"]) == "local file"


def test_plain_text_is_not_html(tmp_path, capsys):
    from builder.cli import main

    note = tmp_path / "hostname"
    note.write_text("vm\n")
    assert main(["extract", str(note)]) == 1
    assert "doc.not_html: no HTML markup" in capsys.readouterr().err
