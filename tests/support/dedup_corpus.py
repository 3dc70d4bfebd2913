"""A corpus with every kind of duplicate dedup looks for, and the decisions a reduce wrote, as plain data.

Used to prove that the sharded reduce decides exactly what the single-task reduce decided
(tests/data/dedup_golden.json holds that reduce's decisions on this corpus).
"""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow.parquet as pq

from builder.document import Document, ImageNode, Provenance, TextNode

VOCAB = [f"t{i}" for i in range(6000)]


def _flip(value: int, rng: random.Random, bits: int) -> int:
    for bit in rng.sample(range(64), bits):
        value ^= 1 << bit
    return value


def mixed_documents(seed: int = 21, n: int = 240) -> list[Document]:
    """URL re-crawls, near copies (and chains), frequent images known by near pHashes, shared image sets,
    repeated paragraphs per domain, repeats inside a document, odd documents."""
    rng = random.Random(seed)
    logo = rng.getrandbits(64)
    docs: list[Document] = []
    for i in range(n):
        site = f"s{i % 6}.org"
        text = " ".join(rng.choices(VOCAB, k=rng.randint(40, 160)))
        own = rng.getrandbits(64)
        nodes: list = [TextNode(text), ImageNode(f"https://{site}/i{i}.jpg", info={"phash": f"{own:016x}"})]
        if i % 3 == 0:  # the site logo, re-encoded: its pHash moves by up to 2 bits
            nodes.append(ImageNode(f"https://{site}/logo{i % 4}.png",
                                   info={"phash": f"{_flip(logo, rng, rng.randint(0, 2)):016x}"}))
        if i % 5 == 0:
            nodes.append(TextNode(f"Contact the team of {site} for anything at all."))
        if i % 11 == 0:  # the same picture twice in one page
            nodes.append(ImageNode(f"https://{site}/again{i}.jpg", info={"phash": f"{_flip(own, rng, 1):016x}"}))
        if i % 17 == 0:
            nodes.append(ImageNode(f"https://cdn.net/b{i % 2}.gif", info={"sha256": f"{i % 2:02x}" * 32}))
        docs.append(Document(f"d{i:04d}", f"https://{site}/p{i}", nodes,
                             provenance=Provenance(f"https://{site}/p{i}", f"2024-0{i % 9 + 1}-01T00:00:00Z")))
    for i in range(0, n, 9):  # near copies elsewhere, some of them copies of copies
        src = docs[i]
        words = src.nodes[0].text.split()
        cut = words[: max(5, len(words) * rng.choice([100, 90, 80]) // 100)]
        docs.append(Document(f"near{i}", f"https://mirror{i % 3}.net/{i}",
                             [TextNode(" ".join(cut)), ImageNode(f"https://mirror.net/{i}.jpg")],
                             provenance=Provenance("", rng.choice(["2025-01-01T00:00:00Z", "2023-01-01T00:00:00Z"]))))
    for i in range(1, n, 13):  # re-crawls of one URL
        src = docs[i]
        docs.append(Document(f"again{i}", src.url, list(src.nodes),
                             provenance=Provenance(src.url, rng.choice(["2020-01-01T00:00:00Z", "2026-01-01"]))))
    for i in range(2, n, 19):  # the same images, other text
        src = docs[i]
        docs.append(Document(f"set{i}", f"https://gallery.org/{i}",
                             [TextNode(" ".join(rng.choices(VOCAB, k=60)))] + list(src.images),
                             provenance=Provenance("", None)))
    docs.append(Document("empty", "", [], provenance=Provenance("", None)))
    docs.append(Document("d0001", "not a url", [TextNode("short")], provenance=Provenance("", None)))
    return docs


def partitions_of(docs: list[Document], parts: int) -> dict[str, list[Document]]:
    return {f"part-{p}": docs[p::parts] for p in range(parts)}


def read_decisions(work_dir: Path) -> dict[str, dict[str, list]]:
    """Every partition's decisions as sorted lists (documents, images, paragraphs)."""
    out = {}
    root = Path(work_dir) / "decisions"
    for folder in sorted(root.iterdir()):
        if folder.name.startswith("."):
            continue
        docs = pq.read_table(folder / "docs.parquet").to_pylist()
        images = pq.read_table(folder / "images.parquet").to_pylist()
        paragraphs = pq.read_table(folder / "paragraphs.parquet").to_pylist()
        out[folder.name] = {
            "docs": sorted([r["id"], r["occurrence"], r["reason"], r["duplicate_of"]] for r in docs),
            "images": sorted([r["doc_id"], r["occurrence"], r["ordinal"], r["src"], r["reason"]] for r in images),
            "paragraphs": sorted([r["doc_id"], r["occurrence"], str(r["key"])] for r in paragraphs),
        }
    return out
