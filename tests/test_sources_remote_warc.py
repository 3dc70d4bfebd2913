"""Remote WARCs: streamed over HTTP (resuming with Range), fsspec URLs, and Common Crawl style pointers."""

from __future__ import annotations

import csv
import io
import json
import re
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from builder.config import parse_config
from builder.context import RunContext
from builder.errors import SourceError
from builder.partition_tasks import build_partition
from builder.phases.layout import lists_dir
from builder.phases.pages import pages_partition
from builder.run_output import RunOutput
from builder.sources import build_sources
from builder.sources.remote import RemoteError, RemoteReader
from builder.sources.warc_records import iter_records
from builder.tasks import BuildTask, PagesTask
from tests.factories import image_bytes
from tests.support.http_server import LoopbackServer, static

LOOPBACK = {"allow_networks": ["127.0.0.0/8"], "retries": 2, "backoff_base_s": 0.01}
PARAGRAPH = ("A long paragraph about lighthouses, their keepers and the ships they guided home through fog "
             "and storm, written so that the page has enough words to be kept by the extractor. ")


def make_warc(path: Path, n_pages: int = 6, with_image: bool = True) -> Path:
    """A gzip-per-record WARC with `n_pages` HTML responses (and an image response after the first)."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i in range(n_pages):
            url = f"http://site.example/page{i}.html"
            body = (f"<html><head><title>Page {i}</title></head><body><article><h1>Page {i}</h1>"
                    f"<p>{PARAGRAPH * 3}</p><img src='/img{i}.png' alt='picture {i}'><p>{PARAGRAPH}</p>"
                    f"</article></body></html>").encode()
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=headers))
            if with_image and i == 0:
                png = image_bytes(64, 48)
                headers = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record("http://site.example/img0.png", "response",
                                                              payload=io.BytesIO(png), http_headers=headers))
    return path


def ranged(data: bytes, content_type: str = "application/warc", break_after: int | None = None):
    """Serves `data` with HTTP Range support; the first full GET breaks after `break_after` bytes."""
    state = {"broken": False}

    def handler(req: BaseHTTPRequestHandler) -> None:
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", req.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else len(data) - 1
            if start >= len(data):
                req.send_response(416)
                req.send_header("Content-Range", f"bytes */{len(data)}")
                req.send_header("Content-Length", "0")
                req.end_headers()
                return
            end = min(end, len(data) - 1)
            chunk = data[start:end + 1]
            req.send_response(206)
            req.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            chunk = data
            req.send_response(200)
        req.send_header("Content-Type", content_type)
        req.send_header("Accept-Ranges", "bytes")
        req.send_header("Content-Length", str(len(chunk)))
        req.end_headers()
        if break_after is not None and not match and not state["broken"]:
            state["broken"] = True
            req.wfile.write(chunk[:break_after])
            req.wfile.flush()
            req.close_connection = True
            req.connection.shutdown(2)
            return
        req.wfile.write(chunk)

    return handler


def read_pages(config: dict):
    cfg = parse_config(config)
    source = build_sources(cfg)[0]
    ctx = RunContext(cfg)
    return [p for part in source.partitions() for p in source.read(part, ctx)], ctx


def page_view(pages):
    return [(p.url, p.body, p.provenance.warc_offset, p.provenance.warc_length) for p in pages]


@pytest.fixture()
def warc_file(tmp_path):
    return make_warc(tmp_path / "crawl.warc.gz")


def test_http_warc_is_streamed_in_one_pass_and_matches_the_local_read(warc_file):
    local, _ = read_pages({"sources": [{"type": "warc", "paths": [str(warc_file)]}]})
    with LoopbackServer("127.0.0.2") as server:
        url = server.route("/data/crawl.warc.gz", ranged(warc_file.read_bytes()))
        remote, ctx = read_pages({"sources": [{"type": "warc", "paths": [url], "remote": LOOPBACK}]})
        assert server.hits["/data/crawl.warc.gz"] == 1  # one pass, no separate image-index download
        assert page_view(remote) == page_view(local)
        assert len(remote) == 6 and remote[0].provenance.warc_file == url
        assert ctx.stats.imbalances(("record",)) == []
        # The image response passed in the stream is read back by byte range for the image stage.
        payload, headers = ctx.image_archive.get("http://site.example/img0.png")
        assert payload == image_bytes(64, 48) and headers["content-type"] == "image/png"
        assert server.log[-1][1].get("Range", "").startswith("bytes=")
        assert "loombot" in server.log[0][1]["User-Agent"]


def test_a_broken_download_resumes_with_a_range_request(warc_file):
    data = warc_file.read_bytes()
    with LoopbackServer("127.0.0.2") as server:
        url = server.route("/w.warc.gz", ranged(data, break_after=len(data) // 2))
        pages, ctx = read_pages({"sources": [{"type": "warc", "paths": [url], "remote": LOOPBACK}]})
        assert len(pages) == 6 and not ctx.stats.errors
        ranges = [h.get("Range") for _, h in server.log]
        assert ranges[0] is None and ranges[1] == f"bytes={len(data) // 2}-"


def test_internal_addresses_are_refused_unless_allowed(warc_file):
    with LoopbackServer("127.0.0.2") as server:
        url = server.route("/w.warc.gz", ranged(warc_file.read_bytes()))
        with pytest.raises(SourceError, match="allow_networks"):
            read_pages({"sources": [{"type": "warc", "paths": [url]}]})
        assert server.hits["/w.warc.gz"] == 0


def test_missing_remote_warc_fails_its_partition_with_a_clear_error(tmp_path):
    with LoopbackServer("127.0.0.2") as server:
        cfg = parse_config({"sources": [{"type": "warc", "paths": [server.url("/gone.warc.gz")], "remote": LOOPBACK}],
                            "executor": {"workers": 1}})
        (part,) = build_sources(cfg)[0].partitions()
        result = build_partition(BuildTask(cfg, part, RunOutput.of(tmp_path / "out"), staged=False))
        assert result.error is not None and "HTTP 404" in result.error


def test_fsspec_url_is_read_like_a_local_file(warc_file):
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/bucket/crawl.warc.gz", warc_file.read_bytes())
    try:
        local, _ = read_pages({"sources": [{"type": "warc", "paths": [str(warc_file)]}]})
        remote, _ = read_pages({"sources": [{"type": "warc", "paths": ["memory://bucket/*.warc.gz"]}]})
        assert [(p.url, p.body) for p in remote] == [(p.url, p.body) for p in local]
    finally:
        fs.rm("/bucket", recursive=True)


# ---------------------------------------------------------------- Common Crawl pointers


def pointers(warc: Path) -> list[dict]:
    with open(warc, "rb") as fh:
        return [{"url": r.url, "warc_filename": f"crawl-data/{warc.name}", "warc_record_offset": r.offset,
                 "warc_record_length": r.length}
                for r in iter_records(fh, read_pages=False, max_payload=0) if r.url.endswith(".html")]


def write_table(rows: list[dict], path: Path) -> Path:
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_cc_index_reads_records_by_byte_range(warc_file, tmp_path, suffix):
    rows = pointers(warc_file)
    rows.insert(2, {**rows[0], "warc_record_offset": rows[0]["warc_record_offset"] + 7})  # points into a record
    rows.append({**rows[0], "warc_filename": "crawl-data/missing.warc.gz"})
    table = write_table(rows, tmp_path / f"pointers{suffix}")
    local, _ = read_pages({"sources": [{"type": "warc", "paths": [str(warc_file)]}]})
    with LoopbackServer("127.0.0.2") as server:
        server.route(f"/crawl-data/{warc_file.name}", ranged(warc_file.read_bytes()))
        pages, ctx = read_pages({"sources": [{"type": "cc_index", "paths": [str(table)], "prefix": server.origin,
                                              "rows_per_partition": 3, "merge_gap_bytes": None,
                                              "remote": LOOPBACK}]})
        assert [(p.url, p.body, p.provenance.warc_offset) for p in pages] == \
            [(p.url, p.body, p.provenance.warc_offset) for p in local]
        # Only the records' bytes are requested, never the whole file.
        asked = sorted(h.get("Range", "") for path, h in server.log if path.endswith(warc_file.name))
        wanted = sorted(f"bytes={r['warc_record_offset']}-{r['warc_record_offset'] + r['warc_record_length'] - 1}"
                        for r in rows if r["warc_filename"].endswith(warc_file.name))
        assert asked == wanted
    drops = ctx.stats.drops
    assert drops["record.unreadable"] == 1 and drops["record.range_http_404"] == 1
    assert ctx.stats.counts["record.in"] == len(rows)
    assert ctx.stats.imbalances(("record",)) == []


def test_cc_index_cdx_columns_and_a_local_prefix(warc_file, tmp_path):
    rows = [{"url": r["url"], "filename": warc_file.name, "offset": str(r["warc_record_offset"]),
             "length": str(r["warc_record_length"])} for r in pointers(warc_file)]
    rows.append({"url": "x", "filename": warc_file.name, "offset": "nope", "length": "1"})
    table = write_table(rows, tmp_path / "cdx.jsonl")
    pages, ctx = read_pages({"sources": [{"type": "cc_index", "paths": [str(table)], "prefix": str(tmp_path)}]})
    assert len(pages) == 6
    assert ctx.stats.drops["record.bad_pointer"] == 1


def test_cc_index_without_range_support_cuts_the_record_from_a_plain_get(warc_file, tmp_path):
    table = write_table(pointers(warc_file)[:2], tmp_path / "p.csv")
    with LoopbackServer("127.0.0.2") as server:
        server.route(f"/crawl-data/{warc_file.name}", static(warc_file.read_bytes(), "application/warc"))
        pages, _ = read_pages({"sources": [{"type": "cc_index", "paths": [str(table)], "prefix": server.origin,
                                            "remote": LOOPBACK}]})
    assert [p.url for p in pages] == ["http://site.example/page0.html", "http://site.example/page1.html"]


def test_cc_index_table_without_pointer_columns_is_a_clear_error(tmp_path):
    table = write_table([{"url": "http://a/", "file": "x"}], tmp_path / "bad.csv")
    with pytest.raises(SourceError, match="no column warc_filename or filename"):
        read_pages({"sources": [{"type": "cc_index", "paths": [str(table)]}]})


def test_remote_reader_retries_server_errors_then_gives_up():
    from tests.support.http_server import sequence, status

    with LoopbackServer("127.0.0.2") as server:
        url = server.route("/flaky", sequence(status(503), status(503), static(b"0123456789")))
        reader = RemoteReader(parse_config({"sources": [{"type": "warc", "paths": ["x"],
                                                         "remote": LOOPBACK}]}).sources[0].remote)
        assert reader.read_range(url, 2, 3) == b"234"
        assert server.hits["/flaky"] == 3
        server.route("/down", status(500))
        with pytest.raises(RemoteError) as info:
            reader.read_range(server.url("/down"), 0, 4)
        assert info.value.reason == "http_500" and server.hits["/down"] == 3


def test_images_archived_after_their_page_come_from_the_remote_archive(warc_file, tmp_path):
    with LoopbackServer("127.0.0.2") as server:
        url = server.route("/crawl.warc.gz", ranged(warc_file.read_bytes()))
        cfg = parse_config({"sources": [{"type": "warc", "paths": [url], "remote": LOOPBACK}],
                            "filters": {"enabled": False}, "executor": {"workers": 1}})
        (part,) = build_sources(cfg)[0].partitions()
        output = RunOutput.of(tmp_path / "out")
        result = pages_partition(PagesTask(cfg, part, output))  # the pages phase: archive first, no fetching
    assert result.error is None
    assert result.stats.counts["image.source.warc"] == 1  # img0.png follows page0 in the stream
    # The others are in no archive: listed for the fetch phase (site.example is not on the web).
    listed = [line for path in (lists_dir(output) / part.id).glob("*.jsonl") for line in path.read_text().splitlines()]
    assert len(listed) == 5


def test_cc_index_tables_may_be_remote_too(warc_file, tmp_path):
    import gzip

    import fsspec

    rows = pointers(warc_file)
    jsonl_gz = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode())
    parquet = write_table(rows, tmp_path / "p.parquet").read_bytes()
    fs = fsspec.filesystem("memory")
    fs.pipe("/tables/pointers.csv", write_table(rows, tmp_path / "p.csv").read_bytes())
    try:
        with LoopbackServer("127.0.0.2") as server:
            server.route(f"/crawl-data/{warc_file.name}", ranged(warc_file.read_bytes()))
            tables = [server.route("/idx/pointers.jsonl.gz", ranged(jsonl_gz, "application/gzip")),
                      server.route("/idx/pointers.parquet", ranged(parquet)), "memory://tables/*.csv"]
            for table in tables:
                pages, ctx = read_pages({"sources": [{"type": "cc_index", "paths": [table], "prefix": server.origin,
                                                      "rows_per_partition": 4, "remote": LOOPBACK}]})
                assert [p.url for p in pages] == [r["url"] for r in rows], table
    finally:
        fs.rm("/tables", recursive=True)


def test_cc_index_merges_neighbouring_records_into_one_request(tmp_path):
    warc = make_warc(tmp_path / "dense.warc.gz", n_pages=12, with_image=False)
    rows = pointers(warc)
    rows[5], rows[6] = rows[6], rows[5]  # record 5 comes after record 6 in the table: a new request
    table = write_table(rows, tmp_path / "dense.jsonl")
    with LoopbackServer("127.0.0.2") as server:
        server.route(f"/crawl-data/{warc.name}", ranged(warc.read_bytes()))
        pages, ctx = read_pages({"sources": [{"type": "cc_index", "paths": [str(table)], "prefix": server.origin,
                                              "remote": LOOPBACK}]})
        assert [p.url for p in pages] == [r["url"] for r in rows]  # table order
        assert len(server.log) == 2  # records 0-4 and 6 in one request, 5 and 7-11 in another
        assert ctx.stats.counts["cc_index.merged_requests"] == 2

        # A pointer past the end fails its merged request: the batch is retried one by one.
        rows.append({**rows[-1], "warc_record_offset": warc.stat().st_size, "warc_record_length": 100})
        write_table(rows, table)
        server.log.clear()
        pages, ctx = read_pages({"sources": [{"type": "cc_index", "paths": [str(table)], "prefix": server.origin,
                                              "remote": LOOPBACK}]})
        assert [p.url for p in pages] == [r["url"] for r in rows[:-1]]
        assert ctx.stats.drops["record.range_http_416"] == 1
        assert ctx.stats.counts["cc_index.merged_range_retried"] == 1
        assert len(server.log) == 2 + 7
        assert ctx.stats.imbalances(("record",)) == []


def test_cc_index_run_gives_the_documents_and_keys_of_the_archive_read_whole(warc_file, tmp_path):
    from builder.pipeline import run_pipeline
    from builder.shards.reader import read_documents

    table = write_table(pointers(warc_file), tmp_path / "p.parquet")
    common = {"filters": {"enabled": False}, "images": {"enabled": False}, "executor": {"workers": 1}}
    run_pipeline(parse_config({"sources": [{"type": "warc", "paths": [str(warc_file)]}], **common}),
                 tmp_path / "whole")
    with LoopbackServer("127.0.0.2") as server:
        server.route(f"/crawl-data/{warc_file.name}", ranged(warc_file.read_bytes()))
        summary = run_pipeline(parse_config({"sources": [{"type": "cc_index", "paths": [str(table)],
                                                          "prefix": server.origin, "remote": LOOPBACK}], **common}),
                               tmp_path / "ranges")
    assert not summary.failed

    def docs(folder):
        return sorted((d.id, d.url, d.text()) for shard in folder.glob("*.tar") for d in read_documents(shard))

    assert docs(tmp_path / "ranges") == docs(tmp_path / "whole") and len(docs(tmp_path / "whole")) == 6
