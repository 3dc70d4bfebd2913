"""Near-duplicate detection: loom's dedup pass against datasketch's MinHash + MinHashLSH.

The corpus is generated on the fly and written to Parquet before
anything is measured; each side streams it back in record batches. Documents of 100-600 words drawn
from a Zipf-like 50,000-word vocabulary, with 10% planted near-copies of earlier documents
(a few words changed).

loom: `DedupPasses` with only the near-duplicate pass on (word 5-grams, 14 bands x 8 rows,
verification at 0.7), map over partitions of 10,000 documents then reduce, in one process.
datasketch: for each document, `MinHash(num_perm=112).update_batch(5-grams)`, then
`MinHashLSH(params=(14, 8)).query` and `.insert` (the usual streaming dedup loop). It is
measured on the first `--baseline-docs` documents and its documents/s extrapolated (its
cost per document does not shrink with size: the LSH index only grows).

Each measurement runs in its own subprocess so peak RSS is clean. Usage:

    python bench/dedup.py                       # 100,000 documents; 10,000 for the RSS comparison
    python bench/dedup.py --docs 20000 --small 5000 --baseline-docs 5000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

VOCAB_SIZE = 50_000
DUP_EVERY = 10  # one document in ten is a near-copy of an earlier one
PARTITION_DOCS = 10_000
CHUNK_DOCS = 1_000


def generate(n: int, seed: int = 7) -> Iterator[tuple[str, str]]:
    """(id, text) of n documents, deterministic; document i is the same whatever n is.

    Words are drawn for a chunk of documents at once (numpy).
    """
    import numpy as np

    vocab = np.array([f"w{i}" for i in range(VOCAB_SIZE)], dtype=object)
    cdf = np.cumsum(1.0 / np.arange(1, VOCAB_SIZE + 1))
    cdf /= cdf[-1]
    for chunk_start in range(0, n, CHUNK_DOCS):
        rng = np.random.default_rng([seed, chunk_start])
        count = min(CHUNK_DOCS, n - chunk_start)
        lengths = rng.integers(100, 601, size=count)
        words = np.searchsorted(cdf, rng.random(int(lengths.sum())))
        bounds = np.concatenate(([0], np.cumsum(lengths)))
        originals: list[np.ndarray] = []
        for j in range(count):
            i = chunk_start + j
            if i % DUP_EVERY == DUP_EVERY - 1 and originals:
                doc = originals[int(rng.integers(len(originals)))].copy()
                doc[rng.integers(0, doc.size, size=max(1, doc.size // 100))] = rng.integers(VOCAB_SIZE)
            else:
                doc = words[bounds[j] : bounds[j + 1]]
                originals.append(doc)
            yield f"doc{i:07d}", " ".join(vocab[doc].tolist())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads: what the work cost, whatever else runs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def write_corpus(folder: Path, n: int) -> int:
    """The generated corpus as Parquet files of PARTITION_DOCS documents; returns the characters written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    chars, ids, texts = 0, [], []
    for doc_id, text in generate(n):
        ids.append(doc_id)
        texts.append(text)
        chars += len(text)
        if len(ids) == PARTITION_DOCS:
            pq.write_table(pa.table({"id": ids, "text": texts}), folder / f"{ids[0]}.parquet")
            ids, texts = [], []
    if ids:
        pq.write_table(pa.table({"id": ids, "text": texts}), folder / f"{ids[0]}.parquet")
    return chars


def read_corpus(folder: Path, n: int) -> Iterator[tuple[str, str]]:
    """The first n documents, streamed in record batches (bounded memory)."""
    import pyarrow.parquet as pq

    left = n
    for path in sorted(folder.glob("*.parquet")):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1000):
            yield from zip(batch.column(0).to_pylist()[:left], batch.column(1).to_pylist()[:left])
            left -= min(left, batch.num_rows)
            if left == 0:
                return


def worker_loom(corpus: Path, n: int) -> dict:
    from builder.document import Document, TextNode
    from filters.dedup import DedupConfig, DedupPasses

    config = DedupConfig.model_validate({
        "enabled": True, "urls": {"enabled": False}, "images": {"enabled": False},
        "perceptual": {"enabled": False}, "image_sets": {"enabled": False},
        "paragraphs": {"enabled": False},
    })
    docs = (Document(doc_id, f"https://example.org/{doc_id}", [TextNode(text)])
            for doc_id, text in read_corpus(corpus, n))
    with tempfile.TemporaryDirectory(prefix="loom-bench-dedup-") as work:
        passes = DedupPasses(config, Path(work))
        start, cpu = time.perf_counter(), cpu_seconds()
        for p in range(0, n, PARTITION_DOCS):
            batch = (next(docs) for _ in range(min(PARTITION_DOCS, n - p)))
            passes.map_partition(f"part{p // PARTITION_DOCS:05d}", batch)
        mapped = time.perf_counter()
        passes.reduce()
        done = time.perf_counter()
        cpu = cpu_seconds() - cpu
        summary = passes.summary()
    return {
        "docs": n, "seconds": done - start, "cpu": cpu, "map_seconds": mapped - start, "reduce_seconds": done - mapped,
        "duplicates": summary["doc_drops"]["near_duplicate"], "candidate_pairs": summary["candidate_pairs"],
        "peak_rss_mb": peak_rss_mb(),
    }


def worker_datasketch(corpus: Path, n: int) -> dict:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(num_perm=112, params=(14, 8))
    duplicates = 0
    start, cpu = time.perf_counter(), cpu_seconds()
    for doc_id, text in read_corpus(corpus, n):
        words = text.lower().split()
        shingles = [" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))]
        m = MinHash(num_perm=112, seed=1)
        m.update_batch(shingles)
        if lsh.query(m):
            duplicates += 1
        lsh.insert(doc_id, m)
    return {"docs": n, "seconds": time.perf_counter() - start, "cpu": cpu_seconds() - cpu, "duplicates": duplicates,
            "peak_rss_mb": peak_rss_mb()}


WORKERS = {"loom": worker_loom, "datasketch": worker_datasketch}


def run_worker(kind: str, corpus: Path, n: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", kind, "--corpus", str(corpus), "--docs", str(n)],
                         check=True, capture_output=True, text=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _show(name: str, r: dict) -> None:
    parts = f" (map {r['map_seconds']:.2f} s, reduce {r['reduce_seconds']:.2f} s wall)" if "map_seconds" in r else ""
    print(f"  {name:<10} {r['docs']:>8,} docs: {r['docs'] / r['cpu']:>9,.0f} docs/s CPU, "
          f"{r['docs'] / r['seconds']:>9,.0f} docs/s wall{parts}, peak RSS {r['peak_rss_mb']:.0f} MB, "
          f"{r['duplicates']:,} near-duplicates found")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000, help="size of the RSS comparison run")
    parser.add_argument("--baseline-docs", type=int, default=10_000, help="datasketch runs on this many")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.corpus, args.docs)))
        return 0
    with tempfile.TemporaryDirectory(prefix="loom-bench-corpus-") as corpus:
        return compare(args, Path(corpus))


def compare(args: argparse.Namespace, corpus: Path) -> int:
    print(f"dedup bench: {args.docs:,} documents (1 in {DUP_EVERY} a near-copy), cpu count {os.cpu_count()}")
    print("  rates are documents per CPU-second of the measuring process (all its threads); wall-clock")
    print("  rates are shown too, but the cores are shared, so wall time carries other people's load")
    chars = write_corpus(corpus, args.docs)
    print(f"  corpus written to Parquet ({chars / args.docs:,.0f} chars/doc); both sides stream it from disk")
    small = run_worker("loom", corpus, args.small)
    _show("loom", small)
    base = run_worker("datasketch", corpus, args.baseline_docs)
    _show("datasketch", base)
    if base["docs"] < args.docs:
        print(f"    (datasketch measured on {base['docs']:,} documents, its rate extrapolated to {args.docs:,})")
    big = run_worker("loom", corpus, args.docs)
    _show("loom", big)
    rate, base_rate = big["docs"] / big["cpu"], base["docs"] / base["cpu"]
    wall_ratio = (big["docs"] / big["seconds"]) / (base["docs"] / base["seconds"])
    rss_growth = big["peak_rss_mb"] / small["peak_rss_mb"]
    print(f"  speed: loom / datasketch = {rate / base_rate:.1f}x by CPU time, {wall_ratio:.1f}x by wall time"
          " (target >= 10x)")
    print(f"  memory: loom peak RSS at {big['docs']:,} / at {small['docs']:,} documents = {rss_growth:.2f}"
          " (target <= 1.5)")
    print(json.dumps({
        "bench": "dedup", "unit": "docs/s", "loom": round(rate, 1), "baseline": round(base_rate, 1),
        "ratio": round(rate / base_rate, 2), "clock": "cpu", "wall_ratio": round(wall_ratio, 2),
        "docs": big["docs"], "baseline_docs": base["docs"], "baseline_extrapolated": base["docs"] < big["docs"],
        "peak_rss_mb": round(big["peak_rss_mb"], 1), "peak_rss_mb_small": round(small["peak_rss_mb"], 1),
        "small_docs": small["docs"], "rss_ratio": round(rss_growth, 3),
        "baseline_peak_rss_mb": round(base["peak_rss_mb"], 1), "loom_duplicates": big["duplicates"],
        "baseline_duplicates": base["duplicates"],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
