from __future__ import annotations

import csv
import gzip

import pytest

from builder.config import parse_config
from builder.context import RunContext
from builder.demo.site import Resource, write_warc
from builder.errors import SourceError
from builder.sources import plan_partitions
from builder.sources.warc import WarcSource


def _source(paths):
    cfg = parse_config({"sources": [{"type": "warc", "paths": [str(p) for p in paths]}]})
    return WarcSource(cfg.sources[0], 0, cfg), cfg


def _read_all(path):
    source, cfg = _source([path])
    (part,) = source.partitions()
    ctx = RunContext(cfg)
    return list(source.read(part, ctx)), ctx


PAGE = b"<html><head><title>t</title></head><body><p>Hello there.</p><img src='/a.png'></body></html>"


@pytest.fixture
def small_warc(tmp_path):
    resources = [
        Resource("http://127.0.0.1/page.html", "text/html", PAGE),
        Resource("http://127.0.0.1/a.png", "image/png", b"\x89PNG fake"),
        Resource("http://127.0.0.1/data.json", "application/json", b"{}"),
    ]
    return write_warc(resources, tmp_path / "small.warc.gz")


def test_pages_provenance_and_counted_skips(small_warc):
    pages, ctx = _read_all(small_warc)
    assert [p.url for p in pages] == ["http://127.0.0.1/page.html", "http://demo.loom.example/about.html"][:1]
    page = pages[0]
    assert page.body == PAGE
    assert page.provenance.warc_file == str(small_warc) and page.provenance.warc_offset > 0
    assert page.provenance.warc_length > 0 and page.provenance.fetched
    drops = ctx.stats.drops
    assert drops["record.request"] == 5 and drops["record.warcinfo"] == 1
    assert drops["record.image"] == 1 and drops["record.not_html"] == 1
    assert drops["record.http_redirect"] == 1 and drops["record.http_error"] == 1
    assert drops["record.revisit"] == 1
    assert ctx.stats.imbalances(("record",)) == []


def test_images_in_the_archive_are_indexed(small_warc):
    _, ctx = _read_all(small_warc)
    payload, headers = ctx.image_archive.get("http://127.0.0.1/a.png")
    assert payload == b"\x89PNG fake" and headers["content-type"] == "image/png"
    assert ctx.image_archive.get("http://127.0.0.1/missing.png") is None


def test_truncated_archive_yields_records_before_the_damage(small_warc, tmp_path):
    raw = small_warc.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(raw[: int(len(raw) * 0.7)])
    pages, ctx = _read_all(cut)
    assert len(pages) == 1  # the page comes early in the archive
    assert ctx.stats.counts["archive.damaged"] == 1
    assert "cut.warc.gz" in ctx.stats.errors[0] and "damaged" in ctx.stats.errors[0]


def test_garbage_is_one_clear_error(tmp_path):
    bad = tmp_path / "junk.warc.gz"
    bad.write_bytes(gzip.compress(b"this is not a warc file\n" * 10))
    with pytest.raises(SourceError, match=r"junk.warc.gz: cannot read archive"):
        _read_all(bad)


def test_html_with_wrong_content_type_is_sniffed(tmp_path):
    path = write_warc([Resource("http://127.0.0.1/x", "application/octet-stream", PAGE)], tmp_path / "s.warc")
    pages, _ = _read_all(path)
    assert [p.url for p in pages] == ["http://127.0.0.1/x"]


def test_every_real_archive_is_read_or_rejected_clearly(shared_dir):
    """The corpus holds valid, truncated and malformed archives: none may crash the run."""
    folder = shared_dir / "corpus" / "warc"
    with open(folder / "MANIFEST.tsv") as fh:
        manifest = {row["path"]: row for row in csv.DictReader(fh, delimiter="\t")}
    source, cfg = _source([folder])
    parts = source.partitions()
    assert len(parts) == len(manifest)
    outcomes = {}
    for part in parts:
        ctx = RunContext(cfg)
        try:
            pages = list(source.read(part, ctx))
            outcomes[part.label] = len(pages)
            assert ctx.stats.imbalances(("record",)) == []
        except SourceError as exc:
            assert part.label in str(exc)  # the error names the file
            outcomes[part.label] = str(exc)
    by_name = {k.split("/corpus/warc/")[1]: v for k, v in outcomes.items()}
    assert by_name["pywb/iana.warc.gz"] == 16
    assert by_name["resiliparse/warcfile.warc.gz"] == 16
    assert by_name["pywb/example.arc.gz"] == 1  # ARC files are read too
    assert by_name["ukwa-webarchive-discovery/compression_transfer_compression_brotli.warc.gz"] == 1
    assert "unsupported archive compression" in by_name["resiliparse/warcfile.warc.lz4"]


def test_partitions_are_one_per_archive_and_stable(small_warc, tmp_path):
    cfg = parse_config({"sources": [{"type": "warc", "paths": [str(tmp_path)]}]})
    first = plan_partitions(cfg)
    assert [p.items for p in first] == [(str(small_warc),)]
    assert plan_partitions(cfg) == first
