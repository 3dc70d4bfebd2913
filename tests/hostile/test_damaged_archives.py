"""Damaged archives: every record that cannot be read is counted with its file and offset, the rest
is recovered, and `--strict` fails the run.

Issue 18 read the demo WARC cut at 150,000 bytes, and with 1,000 random bytes written there:
39 of 84 records were read, exit 0, no count and no error, only zlib lines on stderr.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from builder.cli import main
from builder.config import parse_config
from builder.context import RunContext
from builder.errors import SourceError
from builder.sources import build_sources
from builder.sources.warc_records import iter_records
from tests.support.http_server import LoopbackServer, static

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs/demo/site.warc.gz"
AT, NOISE = 150_000, 1_000


def intact() -> list[tuple[int, int]]:
    with open(DEMO, "rb") as fh:
        return [(r.offset, r.length) for r in iter_records(fh, read_pages=False, max_payload=0)]


def cut(tmp_path: Path) -> Path:
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(DEMO.read_bytes()[:AT])
    return path


def noisy(tmp_path: Path) -> Path:
    data = bytearray(DEMO.read_bytes())
    data[AT:AT + NOISE] = random.Random(18).randbytes(NOISE)
    path = tmp_path / "noise.warc.gz"
    path.write_bytes(bytes(data))
    return path


def read(paths: list[str], **remote) -> RunContext:
    source = {"type": "warc", "paths": paths}
    if remote:
        source["remote"] = remote
    cfg = parse_config({"sources": [source]})
    src = build_sources(cfg)[0]
    ctx = RunContext(cfg)
    for part in src.partitions():
        list(src.read(part, ctx))
    return ctx


def test_the_demo_archive_reads_whole_without_damage():
    records = intact()
    assert len(records) == 84
    ctx = read([str(DEMO)])
    assert ctx.stats.counts["record.in"] == 84 and "archive.damaged" not in ctx.stats.counts


def test_a_cut_archive_counts_the_record_cut_short(tmp_path):
    records = intact()
    whole = [r for r in records if r[0] + r[1] <= AT]
    broken = next(r for r in records if r[0] < AT < r[0] + r[1])
    ctx = read([str(cut(tmp_path))])
    assert ctx.stats.counts["record.in"] == len(whole)
    assert ctx.stats.counts["archive.damaged"] == 1
    (error,) = ctx.stats.errors
    assert "cut.warc.gz" in error and f"offset {broken[0]}" in error and "cut short" in error


def test_random_bytes_lose_only_the_records_they_hit(tmp_path):
    records = intact()
    hit = [r for r in records if r[0] < AT + NOISE and r[0] + r[1] > AT]
    ctx = read([str(noisy(tmp_path))])
    assert ctx.stats.counts["record.in"] == len(records) - len(hit)
    assert ctx.stats.counts["archive.damaged"] == 1
    (error,) = ctx.stats.errors
    resumed = min(r[0] for r in records if r[0] >= AT + NOISE)
    assert f"offset {hit[0][0]}" in error and f"resumed at offset {resumed}" in error


def test_a_remote_archive_is_recovered_the_same_way(tmp_path):
    data = noisy(tmp_path).read_bytes()
    local = read([str(tmp_path / "noise.warc.gz")])
    with LoopbackServer("127.0.0.2") as server:
        url = server.route("/noise.warc.gz", static(data, "application/warc"))
        remote = read([url], allow_networks=["127.0.0.0/8"], retries=0)
    assert remote.stats.counts["record.in"] == local.stats.counts["record.in"]
    assert remote.stats.counts["archive.damaged"] == 1 and url in remote.stats.errors[0]


def test_a_file_that_is_no_archive_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(random.Random(1).randbytes(5000))
    with pytest.raises(SourceError, match="junk.warc.gz: cannot read archive"):
        read([str(junk)])


def test_records_in_any_byte_stream_report_damage_once_per_stretch():
    data = bytearray(DEMO.read_bytes())
    data[AT:AT + NOISE] = bytes(NOISE)  # zeros this time
    damages = []
    n = sum(1 for _ in iter_records(io.BytesIO(bytes(data)), read_pages=True, max_payload=1 << 20,
                                    on_damage=damages.append))
    assert len(damages) == 1 and damages[0].resumed_at is not None and n < 84


def test_strict_run_fails_on_a_damaged_archive(tmp_path, capsys):
    warc = noisy(tmp_path)
    config = tmp_path / "run.yaml"
    config.write_text(f"sources:\n  - {{type: warc, paths: ['{warc}']}}\nvalidate: {{enabled: false}}\n"
                      "images: {enabled: false}\n")
    assert main(["run", str(config), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert main(["run", str(config), "--out", str(tmp_path / "out2"), "--quiet", "--strict"]) == 1
    assert "damaged" in capsys.readouterr().err
