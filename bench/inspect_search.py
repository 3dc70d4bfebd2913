"""How fast `loom inspect` answers a full-text search: its FTS5 index vs scanning every document.

The viewer builds an SQLite FTS5 index of the documents' text once (in the background at
start); the peer is what a viewer without an index must do for each query: read every
sample's JSON from the shards and check its words. Both run here, on the same shards, in the
same process, with the same queries (a rare word, a common one, two words, a phrase, a prefix),
and must find the same documents. The figure is milliseconds per query (lower is better),
with the index's build time and size.

    python bench/inspect_search.py [--docs 20000] [--words 400] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from builder.document import Document, TextNode, document_key  # noqa: E402
from builder.inspect.corpus_index import KEPT, CorpusIndex  # noqa: E402
from builder.inspect.text_search import TextIndex, document_text, parse_query  # noqa: E402
from builder.shards.writer import ShardWriter  # noqa: E402

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "po", "qua", "bri", "den", "fal", "gor"]
WORD = re.compile(r"\w+")


def vocabulary(n: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def build(out: Path, n_docs: int, n_words: int, rng: random.Random) -> list[str]:
    vocab = vocabulary(30_000, rng)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]  # Zipf: a few words everywhere, most rare
    with ShardWriter(out, "shard", max_samples=2000) as writer:
        for n in range(n_docs):
            words = rng.choices(vocab, weights, k=n_words)
            paragraphs = [" ".join(words[i:i + 60]).capitalize() + "." for i in range(0, n_words, 60)]
            url = f"https://site{n % 97}.example/page/{n}"
            writer.write(Document(document_key(url), url, [TextNode(p) for p in paragraphs],
                                  {"title": f"Page {n}", "lang": "en"}))
    return vocab


def scan(index: CorpusIndex, query: str) -> list[int]:
    """The peer: every document whose title and text hold all the query's words (phrases: in order)."""
    terms = parse_query(query)
    found = []
    for entry, data in index.iter_json(KEPT):
        text = (str((data.get("metadata") or {}).get("title") or "") + "\n" + document_text(data)).lower()
        words = WORD.findall(text)
        vocab = set(words)
        joined = " " + " ".join(words) + " "
        ok = True
        for term in terms:
            parts = term.text.lower().split()
            if term.prefix:
                ok = any(w.startswith(parts[0]) for w in vocab)
            elif len(parts) > 1:
                ok = f" {' '.join(parts)} " in joined
            else:
                ok = parts[0] in vocab
            if not ok:
                break
        if ok:
            found.append(entry.pos)
    return found


def timed(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--words", type=int, default=400, help="words per document")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="loom-bench-search-") as tmp:
        out = Path(tmp) / "out"
        vocab = build(out, args.docs, args.words, rng)
        index = CorpusIndex.build(out)
        text_bytes = sum(s.words for s in index.kept.samples) * 6
        started = time.perf_counter()
        text = TextIndex(index, tmp)
        text.build()
        build_s = time.perf_counter() - started
        index_bytes = sum(p.stat().st_size for p in Path(tmp).glob("text.sqlite*"))
        common, rare = vocab[0], vocab[-1]
        queries = [rare, common, f"{vocab[5]} {vocab[2000]}", f'"{vocab[0]} {vocab[1]}"', vocab[300][:4] + "*"]
        loom_ms, scan_ms = [], []
        for query in queries:
            # what the viewer runs for a page of results (the best MAX_RESULTS, ranked when few enough)
            t_loom, hits = timed(lambda q=query: text.search(KEPT, q), args.repeat)
            t_scan, expected = timed(lambda q=query: scan(index, q), 1)
            every = text.search(KEPT, query, limit=10**9)  # the same documents, all of them
            same = sorted(every) == sorted(expected)  # type: ignore[arg-type]
            order = "ranked" if text.ranked(KEPT, query) else "shard order"
            print(f"  {query!r:32} {len(every):>6} docs ({order:11})  index {t_loom * 1000:8.1f} ms   "
                  f"scan {t_scan * 1000:8.1f} ms   {'same documents' if same else 'DIFFERENT documents'}")
            loom_ms.append(t_loom * 1000)
            scan_ms.append(t_scan * 1000)
        loom, base = statistics.median(loom_ms), statistics.median(scan_ms)
        print(f"{args.docs:,} documents, ~{text_bytes / 2**20:.0f} MiB of text; index built in {build_s:.1f} s "
              f"({args.docs / build_s:,.0f} documents/s), {index_bytes / 2**20:.1f} MiB on disk")
        print(f"median per query: index {loom:.1f} ms, scan {base:.1f} ms")
        print(json.dumps({"bench": "inspect_search", "unit": "ms per query (median)", "loom": round(loom, 2),
                          "baseline": round(base, 1), "ratio": round(loom / base, 4), "docs": args.docs,
                          "index_build_s": round(build_s, 2), "index_mib": round(index_bytes / 2**20, 1)}))
        text.close()


if __name__ == "__main__":
    main()
