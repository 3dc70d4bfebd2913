"""Near-duplicate precision and recall on a generated set with known Jaccard similarities.

Each base text gets variants made by controlled edits (word substitutions, deleted or
inserted spans, truncation); the exact Jaccard of each (base, variant) pair over word
5-gram sets is computed, and the pair is scored by whether dedup put both in one cluster.
Recall over pairs at Jaccard >= 0.85 must be >= 0.95; precision against pairs below 0.5
(false positives among them) must be >= 0.95. Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, Provenance, TextNode
from filters.dedup import DedupConfig, DedupPasses

# The word definition of filters/dedup/shingles.py: each CJK character, or a run of ASCII
# letters/digits and non-ASCII characters other than no-break space and general, CJK and
# full-width punctuation.
_WORD = re.compile(r"[\u3040-\u9fff]|[0-9a-z\u0080-\u009f\u00a1-\u1fff\u2070-\u2fff\ua000-\ufeff\uff80-\U0010ffff]+")
SUBSTITUTION_RATES = (0.002, 0.006, 0.012, 0.03, 0.06, 0.1, 0.16, 0.25, 0.4)


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def jaccard(a: list[str], b: list[str], n: int = 5) -> float:
    ga = {tuple(a[i : i + n]) for i in range(len(a) - n + 1)}
    gb = {tuple(b[i : i + n]) for i in range(len(b) - n + 1)}
    return len(ga & gb) / len(ga | gb)


def variants(base: list[str], rng: random.Random) -> list[list[str]]:
    out = []
    fresh = iter(f"novel{rng.getrandbits(40)}x{i}" for i in range(10**9))
    for rate in SUBSTITUTION_RATES:
        words = list(base)
        for pos in rng.sample(range(len(words)), max(1, int(rate * len(words)))):
            words[pos] = next(fresh)
        out.append(words)
    for keep in (0.95, 0.9, 0.6, 0.4):  # truncation: a teaser, a cut-off copy
        out.append(base[: int(keep * len(base))])
    for share in (0.03, 0.3):  # a span deleted and another inserted
        words = list(base)
        span = max(1, int(share * len(words) / 2))
        start = rng.randrange(0, len(words) - span)
        del words[start : start + span]
        at = rng.randrange(0, len(words))
        words[at:at] = [next(fresh) for _ in range(span)]
        out.append(words)
    return out


def evaluate(bases: list[list[str]], tmp_path: Path, seed: int = 0) -> dict[str, float]:
    rng = random.Random(seed)
    docs, pairs = [], []
    for b, base in enumerate(bases):
        docs.append(Document(id=f"b{b:03d}", url=f"https://base{b}.org/", nodes=[TextNode(" ".join(base))],
                             provenance=Provenance(url="", fetched="2025-01-01T00:00:00Z")))
        for v, words in enumerate(variants(base, rng)):
            vid = f"b{b:03d}v{v:02d}"
            docs.append(Document(id=vid, url=f"https://copy{v}.net/{b}", nodes=[TextNode(" ".join(words))],
                                 provenance=Provenance(url="", fetched="2024-01-01T00:00:00Z")))
            pairs.append((f"b{b:03d}", vid, jaccard(base, words)))
    cfg = DedupConfig.model_validate({
        "enabled": True, "urls": {"enabled": False}, "images": {"enabled": False},
        "image_sets": {"enabled": False}, "paragraphs": {"enabled": False}, "drop_emptied": False,
    })
    passes = DedupPasses(cfg, tmp_path)
    for p in range(3):
        passes.map_partition(f"p{p}", docs[p::3])
    passes.reduce()
    ctx = RunContext(LoomConfig())
    cluster = {}
    for p in range(3):
        ctx.partition = f"p{p}"
        for doc in passes.apply(docs[p::3], ctx):
            cluster[doc.id] = doc.id
    for doc in docs:
        cluster.setdefault(doc.id, doc.metadata.get("duplicate_of", doc.id))
    positives = [(a, b) for a, b, j in pairs if j >= 0.85]
    negatives = [(a, b) for a, b, j in pairs if j < 0.5]
    found = sum(cluster[a] == cluster[b] for a, b in positives)
    false = sum(cluster[a] == cluster[b] for a, b in negatives)
    figures = {
        "pairs_ge_0.85": len(positives), "pairs_lt_0.5": len(negatives),
        "recall": found / len(positives),
        "precision": found / (found + false) if found + false else 1.0,
        "false_positive_rate_lt_0.5": false / len(negatives),
    }
    print(f"\nnear-duplicates on {len(bases)} bases, {len(docs)} documents: {figures}")
    return figures


def _check(figures: dict[str, float]) -> None:
    assert figures["pairs_ge_0.85"] >= 50 and figures["pairs_lt_0.5"] >= 50
    assert figures["recall"] >= 0.95
    assert figures["precision"] >= 0.95
    assert figures["false_positive_rate_lt_0.5"] <= 0.05


def test_precision_recall_synthetic(tmp_path):
    rng = random.Random(42)
    vocab = [f"t{i}" for i in range(30000)]
    weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf-like, as in prose
    bases = [rng.choices(vocab, weights, k=rng.randint(150, 900)) for _ in range(40)]
    _check(evaluate(bases, tmp_path))


def _page_text(path: Path) -> str:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(path.read_text(encoding="utf-8", errors="replace"))
    for node in tree.css("script, style"):
        node.decompose()
    return (tree.body or tree.root).text(separator=" ")


def test_precision_recall_real_pages(tmp_path, shared_dir):
    pages = sorted((shared_dir / "corpus/html/readability/test-pages").glob("*/expected.html"))
    bases = [t[:3000] for t in (tokens(_page_text(p)) for p in pages) if len(t) >= 150]
    if len(bases) < 20:
        pytest.skip("too few real pages with enough text")
    _check(evaluate(bases, tmp_path))
