"""How fast `loom inspect` gets ready: indexing an output folder vs listing it with webdataset.

The viewer reads only each sample's JSON member and seeks over the image bytes; the peer is
what one would write with the standard reader: `webdataset.WebDataset(shards)` iterating every
sample (all members read) and decoding its JSON. Both run here, on the same shards, in the same
process; the figure is documents per second and the ratio loom / webdataset (higher is better).
Also printed: time to render the dashboard, a document page and one image, from the index.

    python bench/inspect_index.py [--docs 4000] [--images-per-doc 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from builder.document import Document, ImageNode, TextNode, document_key  # noqa: E402
from builder.inspect.corpus_index import CorpusIndex  # noqa: E402
from builder.inspect.query import DocQuery  # noqa: E402
from builder.inspect.render import render_dashboard, render_doc  # noqa: E402
from builder.inspect.summary import summarize  # noqa: E402
from builder.shards.manifest import write_manifest  # noqa: E402
from builder.shards.reader import shard_paths  # noqa: E402
from builder.shards.writer import ShardWriter  # noqa: E402
from builder.stats import Stats  # noqa: E402


def make_images(n: int, rng: random.Random) -> list[tuple[bytes, int, int]]:
    """`n` distinct noisy JPEGs of realistic size (tens of KiB), reused across documents."""
    out = []
    for i in range(n):
        w, h = rng.choice([(640, 480), (800, 600), (512, 512), (480, 720)])
        # blurred noise compresses like a photo: ~30-40 KiB at these sizes
        img = Image.effect_noise((w, h), 40 + i).filter(ImageFilter.GaussianBlur(2)).convert("RGB")
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=85)
        out.append((buf.getvalue(), w, h))
    return out


def build(out: Path, n_docs: int, per_doc: int, rng: random.Random) -> None:
    images = make_images(24, rng)
    langs = ["en"] * 6 + ["fr", "de", "es", "ja"]
    words = ["the", "of", "and", "a", "to", "in", "is", "you", "that", "it", "he", "was", "for", "on"]
    with ShardWriter(out, "shard", max_samples=1000) as writer:
        for n in range(n_docs):
            url = f"https://site{n % 97}.example/page/{n}"
            nodes: list = []
            for i in range(per_doc):
                data, w, h = images[(n + i) % len(images)]
                nodes.append(TextNode(" ".join(rng.choices(words, k=rng.randint(30, 200)))))
                nodes.append(ImageNode(f"https://img.example/{n}/{i}.jpg", alt="x",
                                       info={"width": w, "height": h, "format": "jpeg"}, data=data))
            nodes.append(TextNode(" ".join(rng.choices(words, k=80))))
            writer.write(Document(document_key(url), url, nodes, {"title": f"page {n}", "lang": rng.choice(langs)},
                                  scores={"quality": rng.random()}))
    write_manifest(out, writer.shards)
    stats = Stats()
    stats.count("doc.in", n_docs + 100)
    stats.count("doc.out", n_docs)
    stats.drop("doc.too_few_words", 100)
    (out / "stats.json").write_text(json.dumps(stats.to_dict()))


def loom_index(out: Path) -> int:
    return len(CorpusIndex.build(out).kept.samples)


def webdataset_listing(out: Path) -> int:
    import webdataset as wds

    n = 0
    urls = [str(p) for p in shard_paths(out)]
    for sample in wds.WebDataset(urls, shardshuffle=False, empty_check=False):
        json.loads(sample["json"])
        n += 1
    return n


def bytes_read() -> int:
    """Bytes this process has read through syscalls so far (Linux /proc/self/io `rchar`), else 0."""
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def read_cost(fn, out: Path) -> int:  # type: ignore[no-untyped-def]
    """Bytes `fn` reads: what a cold page cache (a corpus on disk or NFS) would have to fetch."""
    before = bytes_read()
    fn(out)
    return bytes_read() - before


def timed(fn, out: Path, repeat: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    times, n = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        n = fn(out)
        times.append(time.perf_counter() - start)
    return statistics.median(times), n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--images-per-doc", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory(prefix="bench-inspect-") as tmp:
        out = Path(tmp) / "out"
        build(out, args.docs, args.images_per_doc, rng)
        size = sum(p.stat().st_size for p in out.glob("*.tar"))
        print(f"output: {args.docs} documents, {args.docs * args.images_per_doc} images, "
              f"{size / 2**20:.0f} MiB in {len(list(out.glob('*.tar')))} shards")
        # alternate the two, so a burst of load on the shared machine hits both alike
        base_s, base_n = timed(webdataset_listing, out, args.repeat)
        loom_s, loom_n = timed(loom_index, out, args.repeat)
        base_s2, _ = timed(webdataset_listing, out, args.repeat)
        base_s = min(base_s, base_s2)
        assert loom_n == base_n == args.docs, (loom_n, base_n)
        loom_rate, base_rate = loom_n / loom_s, base_n / base_s
        print(f"loom CorpusIndex.build: {loom_s:.3f} s  {loom_rate:,.0f} docs/s")
        print(f"webdataset listing:     {base_s:.3f} s  {base_rate:,.0f} docs/s")
        loom_read, base_read = read_cost(loom_index, out) / 2**20, read_cost(webdataset_listing, out) / 2**20
        print(f"bytes read: loom {loom_read:.1f} MiB, webdataset {base_read:.1f} MiB")

        tracemalloc.start()
        index = CorpusIndex.build(out)
        per_doc = tracemalloc.get_traced_memory()[0] / args.docs
        tracemalloc.stop()
        print(f"index memory: {per_doc:.0f} bytes a document")
        start = time.perf_counter()
        summary = summarize(index)
        render_dashboard(summary)
        dash_ms = (time.perf_counter() - start) * 1000
        entry = index.kept.samples[len(index.kept.samples) // 2]
        start = time.perf_counter()
        render_doc(index, summary, entry, DocQuery())
        doc_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        for e in index.kept.samples[:200]:
            index.read_member(e, "0.jpg")
        image_ms = (time.perf_counter() - start) * 1000 / 200
        print(f"dashboard (summary + render): {dash_ms:.0f} ms; document page: {doc_ms:.1f} ms; "
              f"one image by offset: {image_ms:.3f} ms")
        print(json.dumps({
            "bench": "inspect_index", "unit": "docs/s", "loom": round(loom_rate, 1),
            "baseline": round(base_rate, 1), "ratio": round(loom_rate / base_rate, 2),
            "baseline_name": "webdataset.WebDataset listing (json decoded)", "docs": args.docs,
            "mib": round(size / 2**20, 1), "dashboard_ms": round(dash_ms), "doc_page_ms": round(doc_ms, 1),
            "image_ms": round(image_ms, 3), "loom_read_mib": round(loom_read, 1),
            "baseline_read_mib": round(base_read, 1), "index_bytes_per_doc": round(per_doc),
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
