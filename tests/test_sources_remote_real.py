"""Real third-party WARC/ARC files (../shared) read over HTTP and by pointer give what a local read gives."""

from __future__ import annotations

import csv
from pathlib import Path

from builder.config import parse_config
from builder.context import RunContext
from builder.errors import SourceError
from builder.sources import build_sources
from builder.sources.warc_records import iter_records
from tests.support.http_server import LoopbackServer
from tests.test_sources_remote_warc import LOOPBACK, ranged


def readable_archives(shared: Path) -> list[str]:
    with open(shared / "corpus/warc/MANIFEST.tsv", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [r["path"] for r in rows if not r["path"].endswith((".lz4", ".bz2"))]


def outcome(paths: list[str], extra: dict | None = None):
    cfg = parse_config({"sources": [{"type": "warc", "paths": paths, **(extra or {})}]})
    source = build_sources(cfg)[0]
    ctx = RunContext(cfg)
    try:
        pages = [(p.url, p.body, p.provenance.warc_offset) for part in source.partitions()
                 for p in source.read(part, ctx)]
    except SourceError:
        return "unreadable", None, None
    return pages, dict(ctx.stats.drops), ctx.stats.counts["archive.damaged"]


def test_every_real_archive_reads_the_same_over_http(shared_dir):
    root = shared_dir / "corpus/warc"
    with LoopbackServer("127.0.0.2") as server:
        checked = 0
        for rel in readable_archives(shared_dir):
            url = server.route("/" + rel, ranged((root / rel).read_bytes()))
            local = outcome([str(root / rel)])
            remote = outcome([url], {"remote": LOOPBACK})
            assert remote == local, rel
            checked += local[0] != "unreadable"
        assert checked >= 40


def test_common_crawl_excerpt_by_pointers(shared_dir, tmp_path):
    root = shared_dir / "corpus/warc"
    rel = "resiliparse/warcfile.warc.gz"  # a Common Crawl excerpt
    with open(root / rel, "rb") as fh:
        rows = [(r.url, r.offset, r.length) for r in iter_records(fh, read_pages=False, max_payload=0)
                if r.rec_type == "response"]
    table = tmp_path / "pointers.csv"
    table.write_text("url,warc_filename,warc_record_offset,warc_record_length\n"
                     + "".join(f"{u},{rel},{o},{n}\n" for u, o, n in rows))
    local, _, _ = outcome([str(root / rel)])
    with LoopbackServer("127.0.0.2") as server:
        server.route("/" + rel, ranged((root / rel).read_bytes()))
        cfg = parse_config({"sources": [{"type": "cc_index", "paths": [str(table)], "prefix": server.origin,
                                         "remote": LOOPBACK}]})
        source = build_sources(cfg)[0]
        ctx = RunContext(cfg)
        pages = [(p.url, p.body, p.provenance.warc_offset) for part in source.partitions()
                 for p in source.read(part, ctx)]
    assert len(rows) >= 10 and pages == local
    assert ctx.stats.imbalances(("record",)) == []
