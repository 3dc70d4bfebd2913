"""The sharded dedup reduce at scale: memory per task, speed-up from 1 to 2 workers, decisions.

1,000,000 synthetic documents (URLs with re-crawls, 1 in 10 a near-copy, site footers
repeated per domain, site logos whose pHash moves by up to 2 bits, shared image sets) are
mapped once, in partitions of 50,000. Then:

- memory: every task of the sharded reduce over all of them with 10 key buckets runs in its
  own fresh subprocess, which reports its peak RSS (getrusage); the same for the reduce over
  the first 100,000 documents with 1 bucket (the same documents per bucket task). The
  merges, which run in the driver, are measured the same way and shown apart.
- speed-up: the 10-bucket reduce through the local executor with 1 worker, then with 2,
  alternately (`--rounds`); wall time, best of the rounds on each side.
- decisions: the 10-bucket reduce's decisions against the 1-bucket reduce's over the same
  1,000,000 documents (a digest of every partition's sorted decision tables).

Usage:

    python bench/dedup_scale.py                        # 1,000,000 documents, 10 buckets
    python bench/dedup_scale.py --docs 200000 --small 20000 --rounds 1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PARTITION_DOCS = 50_000
CHUNK_DOCS = 1_000
SITES = 2_000
VOCAB_SIZE = 30_000


def config() -> Any:
    from filters.dedup import DedupConfig

    return DedupConfig(enabled=True)


def generate(start: int, stop: int, seed: int = 11) -> Any:
    """Documents start..stop-1, deterministic: document i is the same in any run and any partition."""
    import numpy as np

    from builder.document import Document, ImageNode, Provenance, TextNode

    vocab = np.array([f"w{i}" for i in range(VOCAB_SIZE)], dtype=object)
    cdf = np.cumsum(1.0 / np.arange(1, VOCAB_SIZE + 1))
    cdf /= cdf[-1]
    logo = np.random.default_rng([seed, 1 << 40]).integers(0, 2**63, size=SITES, dtype=np.int64)
    for chunk in range(start - start % CHUNK_DOCS, stop, CHUNK_DOCS):
        rng = np.random.default_rng([seed, chunk])
        made: list[Document] = []
        lengths = rng.integers(60, 200, size=CHUNK_DOCS)
        words = np.searchsorted(cdf, rng.random(int(lengths.sum())))
        bounds = np.concatenate(([0], np.cumsum(lengths)))
        for j in range(CHUNK_DOCS):
            i = chunk + j
            site = i % SITES
            url = f"https://site{site}.org/page{i}"
            fetched = f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}T00:00:00Z"
            text = words[bounds[j] : bounds[j + 1]]
            nodes: list = []
            if made and i % 10 == 9:  # a near copy of an earlier page, elsewhere
                base = made[int(rng.integers(len(made)))]
                for node in base.nodes:
                    if isinstance(node, TextNode):
                        changed = node.text.split()
                        changed[int(rng.integers(len(changed)))] = f"x{int(rng.integers(VOCAB_SIZE))}"
                        nodes.append(TextNode(" ".join(changed)))
                nodes.append(ImageNode(f"https://mirror{site}.net/{i}.jpg",
                                       info={"phash": f"{int(rng.integers(0, 2**63)):016x}"}))
                doc = Document(f"doc{i:08d}", f"https://mirror{site}.net/{i}", nodes,
                               provenance=Provenance(url, fetched))
            elif made and i % 37 == 36:  # a re-crawl of an earlier URL
                base = made[int(rng.integers(len(made)))]
                doc = Document(f"doc{i:08d}", base.url, list(base.nodes), provenance=Provenance(base.url, fetched))
            else:
                half = text.size // 2
                nodes = [TextNode(" ".join(vocab[text[:half]].tolist())),
                         ImageNode(f"https://site{site}.org/i{i}.jpg",
                                   info={"phash": f"{int(rng.integers(0, 2**63)):016x}"}),
                         TextNode(" ".join(vocab[text[half:]].tolist()))]
                if rng.random() < 0.3:
                    nodes.append(TextNode(f"Footer of site {site}: contact, privacy, terms of use."))
                if rng.random() < 0.2:
                    flips = rng.choice(64, size=int(rng.integers(0, 3)), replace=False)
                    phash = int(logo[site]) ^ sum(1 << int(b) for b in flips)
                    nodes.append(ImageNode(f"https://site{site}.org/logo.png", info={"phash": f"{phash:016x}"}))
                if made and i % 53 == 52:  # the images of an earlier page, another text
                    base = made[int(rng.integers(len(made)))]
                    nodes = nodes[:1] + list(base.images)
                doc = Document(f"doc{i:08d}", url, nodes, provenance=Provenance(url, fetched))
            made.append(doc)
            if start <= i < stop:
                yield doc


def map_partition(args: tuple[str, int, int]) -> str:
    from filters.dedup import DedupPasses

    work, start, stop = args
    name = f"part{start // PARTITION_DOCS:05d}"
    DedupPasses(config(), Path(work)).map_partition(name, generate(start, stop))
    return name


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- one task or merge in a fresh process
def worker(kind: str, work: str, step: str, index: int) -> dict:
    from filters.dedup.plan import load_plan
    from filters.dedup.reduce import merge_reduce, reduce_bucket

    plan = load_plan(work)
    step_obj = next(s for s in plan.steps if s.name == step)
    start = time.perf_counter()
    if kind == "task":
        reduce_bucket(step_obj.tasks[index])
    else:
        merge_reduce(plan, step_obj)
    return {"seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def run_isolated(kind: str, work: Path, step: str, index: int = 0) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", kind, str(work), step, str(index)],
                         check=True, capture_output=True, text=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measured_reduce(work: Path, buckets: int) -> dict[str, Any]:
    """Every task and merge in its own process (two at a time): peak RSS of each."""
    from concurrent.futures import ThreadPoolExecutor

    from filters.dedup.reduce import plan_reduce

    plan = plan_reduce(config(), work, buckets=buckets)
    tasks: dict[str, list[dict]] = {}
    merges: dict[str, dict] = {}
    with ThreadPoolExecutor(2) as pool:
        for step in plan.steps:
            tasks[step.name] = list(pool.map(lambda t: run_isolated("task", work, t.step, t.index), step.tasks))
            merges[step.name] = run_isolated("merge", work, step.name)
    return {"tasks": tasks, "merges": merges, "documents": plan.documents}


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the executor's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _spin(seconds: float) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        pass
    return time.process_time() - cpu


def machine_parallelism(seconds: float = 5.0) -> float:
    """CPU two busy processes of this session get, over what one gets, right now (2.0 on free cores)."""
    with get_context("fork").Pool(2) as pool:
        one = pool.apply(_spin, (seconds,))
        two = sum(pool.map(_spin, [seconds, seconds], chunksize=1))
    return two / one


def timed_reduce(work: Path, buckets: int, workers: int) -> dict[str, float]:
    """The reduce as `loom run` drives it: each step's tasks through the executor, then its merge."""
    from builder.executors.local import LocalExecutor
    from filters.dedup.reduce import merge_reduce, plan_reduce, reduce_bucket

    shutil.rmtree(work / "reduce", ignore_errors=True)
    executor = LocalExecutor(workers=workers)
    start, cpu = time.perf_counter(), cpu_seconds()
    merge_cpu = 0.0
    plan = plan_reduce(config(), work, buckets=buckets)
    for step in plan.steps:
        for _ in executor.map_unordered(reduce_bucket, step.tasks):
            pass
        tick = cpu_seconds()
        merge_reduce(plan, step)
        merge_cpu += cpu_seconds() - tick
    return {"wall": time.perf_counter() - start, "cpu": cpu_seconds() - cpu, "merge_cpu": merge_cpu}


def decisions_digest(work: Path) -> tuple[str, dict]:
    import pyarrow.parquet as pq

    digest = hashlib.blake2b(digest_size=16)
    for folder in sorted((work / "decisions").iterdir()):
        for name in ("docs", "images", "paragraphs"):
            table = pq.read_table(folder / f"{name}.parquet")
            table = table.sort_by([(c, "ascending") for c in table.column_names])
            digest.update(f"{folder.name}/{name}:{table.num_rows}\n".encode())
            for column in table.columns:
                digest.update(str(column.to_pylist()).encode())
    summary = json.loads((work / "summary.json").read_text())
    return digest.hexdigest(), {k: summary[k] for k in ("doc_drops", "image_removals", "paragraph_removals")}


def _rss_line(label: str, measured: dict[str, Any]) -> tuple[float, float]:
    task_peaks = [t["peak_rss_mb"] for ts in measured["tasks"].values() for t in ts]
    merge_peaks = [m["peak_rss_mb"] for m in measured["merges"].values()]
    per_step = ", ".join(f"{s} {max(t['peak_rss_mb'] for t in ts):.0f}" for s, ts in measured["tasks"].items() if ts)
    print(f"  {label}: {len(task_peaks)} tasks, peak RSS per task max {max(task_peaks):.0f} MB "
          f"(by step: {per_step}); merges max {max(merge_peaks):.0f} MB")
    return max(task_peaks), max(merge_peaks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000, help="documents of the 1-bucket memory baseline")
    parser.add_argument("--buckets", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="1- and 2-worker timings, alternately")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement (speed, decisions only)")
    parser.add_argument("--work", type=Path, help="keep the mapped corpus here (default: a temporary folder)")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, work, step, index = args.worker
        print(json.dumps(worker(kind, work, step, int(index))))
        return 0
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        return compare(args, args.work)
    with tempfile.TemporaryDirectory(prefix="loom-bench-dedup-scale-") as folder:
        return compare(args, Path(folder))


def compare(args: argparse.Namespace, root: Path) -> int:
    big, small = root / "big", root / "small"
    print(f"dedup scale bench: {args.docs:,} documents, {args.buckets} buckets; baseline {args.small:,} documents, "
          f"1 bucket; cpu count {os.cpu_count()}")
    started = time.perf_counter()
    ranges = [(str(big), s, min(s + PARTITION_DOCS, args.docs)) for s in range(0, args.docs, PARTITION_DOCS)]
    reused = (big / "map").is_dir() and len(list((big / "map").iterdir())) == len(ranges)
    if not reused:
        shutil.rmtree(big, ignore_errors=True)
        with get_context("fork").Pool(2) as pool:
            pool.map(map_partition, ranges, chunksize=1)
    (small / "map").mkdir(parents=True, exist_ok=True)
    for folder in sorted((big / "map").iterdir())[: -(-args.small // PARTITION_DOCS)]:
        if not (small / "map" / folder.name).exists():
            shutil.copytree(folder, small / "map" / folder.name)
    how = "reused from --work" if reused else f"mapped in {time.perf_counter() - started:.0f} s (two processes)"
    print(f"  map output {how}; not part of the figures below")

    base_task = base_merge = scaled_task = scaled_merge = rss_ratio = float("nan")
    if not args.no_memory:
        base = measured_reduce(small, 1)
        base_task, base_merge = _rss_line(f"1 bucket,  {base['documents']:>9,} documents", base)
        scaled = measured_reduce(big, args.buckets)
        scaled_task, scaled_merge = _rss_line(f"{args.buckets} buckets, {scaled['documents']:>9,} documents", scaled)
        rss_ratio = scaled_task / base_task
        print(f"  memory: peak RSS of a task at {scaled['documents']:,} documents in {args.buckets} buckets / "
              f"at {base['documents']:,} in 1 = {rss_ratio:.2f} (target <= 1.3); "
              f"merges {scaled_merge / base_merge:.2f}")
        digest_sharded, counts = decisions_digest(big)

    one, two = [], []
    for _ in range(args.rounds):
        one.append(timed_reduce(big, args.buckets, 1))
        two.append(timed_reduce(big, args.buckets, 2))
    parallelism = machine_parallelism()
    best_one, best_two = min(one, key=lambda r: r["wall"]), min(two, key=lambda r: r["wall"])
    speedup = best_one["wall"] / best_two["wall"]
    serial = best_one["merge_cpu"] / best_one["cpu"]
    walls_one = " ".join(f"{r['wall']:.1f}" for r in one)
    walls_two = " ".join(f"{r['wall']:.1f}" for r in two)
    print(f"  speed: reduce wall time 1 worker {walls_one} s, 2 workers {walls_two} s; speed-up {speedup:.2f}x "
          "(best of each; "
          "target >= 1.6)")
    print(f"    CPU the reduce got: 1 worker {best_one['cpu'] / best_one['wall']:.0%} of a core, 2 workers "
          f"{best_two['cpu'] / best_two['wall']:.0%} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          "the kernel shares a saturated CPU by session, not by process)")
    print(f"    two busy processes of this session got {parallelism:.2f}x the CPU of one, just after "
          "(2.00 on free cores; how much room the machine left for a second worker)")
    print(f"    serial share of the CPU work (the merges): {serial:.1%}: on 2 free cores at most "
          f"{1 / (serial + (1 - serial) / 2):.2f}x")
    digest_two = decisions_digest(big)[0]
    if args.no_memory:
        digest_sharded, counts = decisions_digest(big)

    shutil.rmtree(big / "reduce", ignore_errors=True)
    from filters.dedup.reduce import run_reduce

    tick = time.perf_counter()
    run_reduce(config(), big, buckets=1)
    one_bucket_seconds = time.perf_counter() - tick
    digest_one, counts_one = decisions_digest(big)
    equal = digest_sharded == digest_one == digest_two
    print(f"  decisions: {args.buckets} buckets (isolated tasks, and through the executor) vs 1 bucket "
          f"({one_bucket_seconds:.0f} s in one process): {'equal' if equal else 'DIFFERENT'} ({counts})")
    if counts != counts_one:
        print(f"    1 bucket: {counts_one}")
    def mb(value: float, digits: int = 1) -> float | None:  # None: not measured this time
        return None if value != value else round(value, digits)

    print(json.dumps({
        "bench": "dedup_scale", "unit": "MB peak RSS per reduce task", "loom": mb(scaled_task),
        "baseline": mb(base_task), "ratio": mb(rss_ratio, 3), "peak_rss_mb": mb(scaled_task),
        "peak_rss_mb_merge": mb(scaled_merge), "baseline_peak_rss_mb_merge": mb(base_merge),
        "docs": args.docs, "buckets": args.buckets, "baseline_docs": args.small,
        "speedup": round(speedup, 3), "seconds_1_worker": [round(r["wall"], 2) for r in one],
        "seconds_2_workers": [round(r["wall"], 2) for r in two],
        "cpu_share_1_worker": round(best_one["cpu"] / best_one["wall"], 3),
        "cpu_share_2_workers": round(best_two["cpu"] / best_two["wall"], 3),
        "serial_cpu_share": round(serial, 4), "machine_parallelism": round(parallelism, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "decisions_equal": equal,
    }))
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
