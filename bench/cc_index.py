"""Benchmark: Common Crawl style pointer reads (byte ranges) — loom's cc_index source against
the approach of the OBELICS pipeline: a pool of workers each doing ``GET`` with ``Range`` and
parsing the record with warcio.

A WARC of N real-sized HTML responses (4-60 KB each, gzip per record) is served by a loopback
HTTP server that honours Range and adds a fixed latency per response (like an object store).
A pointer table lists every record in random order (scattered, as OBELICS's pointers are:
the headline), and again sorted by offset (loom then merges neighbours into one request).
Both readers use the same number of threads and produce the page payloads; loom also runs
its SSRF guard (loopback allow-listed), counters, and keeps pages in table order. A
sequential reader (one request at a time) is shown for scale.

    .venv/bin/python bench/cc_index.py [--records 1500] [--threads 16] [--latency-ms 20]

Ends with one JSON line; ratio = loom records/s ÷ baseline records/s (higher is better).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402
from warcio.archiveiterator import ArchiveIterator  # noqa: E402
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

WORDS = ["harbour", "tide", "ledger", "lantern", "orchard", "meadow", "quarry", "ferry", "saddle", "thimble",
         "cobble", "winter", "signal", "beacon", "market", "chapel", "bridge", "furnace", "granary",
         "pasture"]


def make_warc(path: Path, n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i in range(n):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(600, 9000)))
            body = f"<html><head><title>p{i}</title></head><body><p>{words}</p></body></html>".encode()
            url = f"http://site{i % 50}.example/page{i}.html"
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            start = fh.tell()
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=headers))
            rows.append({"url": url, "warc_filename": path.name, "warc_record_offset": start,
                         "warc_record_length": fh.tell() - start})
    return rows


def serve(data: bytes, name: str, latency_s: float):
    from tests.support.http_server import LoopbackServer
    from tests.test_sources_remote_warc import ranged

    server = LoopbackServer("127.0.0.2")
    inner = ranged(data)

    def handler(req):
        time.sleep(latency_s)
        inner(req)

    server.route(f"/{name}", handler)
    return server


def baseline_read(url: str, rows: list[dict], threads: int) -> list[bytes]:
    """A pool of workers: Range GET + warcio, as the OBELICS pipeline fetched Common Crawl records."""
    local = __import__("threading").local()

    def one(row: dict) -> bytes:
        session = getattr(local, "s", None)
        if session is None:
            session = local.s = requests.Session()
        off, length = row["warc_record_offset"], row["warc_record_length"]
        data = session.get(url, headers={"Range": f"bytes={off}-{off + length - 1}"}, timeout=60).content
        for record in ArchiveIterator(io.BytesIO(data)):
            return record.content_stream().read()
        return b""

    if threads == 1:
        return [one(r) for r in rows]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, rows))


def loom_read(prefix: str, table: Path, threads: int) -> tuple[list[bytes], dict]:
    from builder.config import parse_config
    from builder.context import RunContext
    from builder.sources import build_sources

    cfg = parse_config({"sources": [{"type": "cc_index", "paths": [str(table)], "prefix": prefix,
                                     "rows_per_partition": 10**9,
                                     "remote": {"allow_networks": ["127.0.0.0/8"], "threads": threads}}]})
    source = build_sources(cfg)[0]
    ctx = RunContext(cfg)
    pages = [p.body for part in source.partitions() for p in source.read(part, ctx)]
    return pages, ctx.stats.to_dict()


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        warc = Path(tmp) / "CC-MAIN-bench.warc.gz"
        rows = make_warc(warc, args.records)
        shuffled = rows[:]
        random.Random(1).shuffle(shuffled)  # pointers scattered as in OBELICS: no two neighbours merge
        tables = {}
        for name, order in (("shuffled", shuffled), ("sorted", rows)):
            tables[name] = Path(tmp) / f"{name}.jsonl"
            tables[name].write_text("".join(json.dumps(r) + "\n" for r in order))
        size_mb = warc.stat().st_size / 1e6
        print(f"{args.records} records in a {size_mb:.1f} MB WARC; {args.threads} threads; "
              f"{args.latency_ms:.0f} ms latency per response")
        server = serve(warc.read_bytes(), warc.name, args.latency_ms / 1000)
        try:
            url = server.url(f"/{warc.name}")
            few = shuffled[: max(50, args.records // 10)]
            (_, t_seq) = timed(lambda: baseline_read(url, few, 1))
            seq_rate = len(few) / t_seq
            print(f"sequential Range GET + warcio : {seq_rate:8.1f} records/s ({len(few)} records)")
            # Alternate the readers, best of two each, so machine noise hits all alike.
            times: dict[str, list[float]] = {"baseline": [], "shuffled": [], "sorted": []}
            for _ in range(2):
                base_pages, t = timed(lambda: baseline_read(url, shuffled, args.threads))
                times["baseline"].append(t)
                for name in ("shuffled", "sorted"):
                    (pages, stats), t = timed(lambda name=name: loom_read(server.origin, tables[name], args.threads))
                    times[name].append(t)
                    assert stats["balance"]["record"]["out"] == args.records, stats["drops"]
                    if name == "shuffled":
                        assert pages == base_pages, "loom and the baseline disagree on the payloads"
                    merged = stats["counts"].get("cc_index.merged_requests", 0)
                    print(f"  loom {name:8s}: {t:6.2f} s, {merged} merged requests")
        finally:
            server.close()
    rate = {k: args.records / min(v) for k, v in times.items()}
    print(f"baseline pool ({args.threads} threads)        : {rate['baseline']:8.1f} records/s")
    print(f"loom cc_index, scattered pointers   : {rate['shuffled']:8.1f} records/s  (same payloads, table order)")
    print(f"loom cc_index, pointers sorted      : {rate['sorted']:8.1f} records/s  (neighbours merged)")
    print(json.dumps({"bench": "cc_index", "unit": "records/s", "loom": round(rate["shuffled"], 1),
                      "baseline": round(rate["baseline"], 1), "ratio": round(rate["shuffled"] / rate["baseline"], 3),
                      "baseline_name": "requests Range GET + warcio, thread pool",
                      "loom_sorted": round(rate["sorted"], 1),
                      "ratio_sorted": round(rate["sorted"] / rate["baseline"], 3),
                      "sequential": round(seq_rate, 1), "records": args.records, "threads": args.threads,
                      "latency_ms": args.latency_ms}))

if __name__ == "__main__":
    main()
