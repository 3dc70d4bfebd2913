"""Small synthetic interleaved documents with real Pillow-encoded images, for tests and benchmarks.

Real pages come from the pipeline; these exist so the validator, the collator and the
benchmark can be exercised anywhere, without a corpus. Deterministic for a given seed.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

from builder.document import Document, ImageNode, Node, Provenance, TextNode, document_key

_WORDS = ["the", "river", "bridge", "old", "town", "photo", "night", "market", "city", "museum",
          "garden", "street", "train", "music", "food", "bread", "coffee", "mountain", "lake", "forest",
          "snow", "summer", "winter", "people", "history", "a", "of", "and", "in", "on", "with", "at"]


def synthetic_image(rng: random.Random, fmt: str = "PNG") -> tuple[bytes, int, int]:
    from PIL import Image, ImageDraw

    width, height = rng.randint(40, 200), rng.randint(40, 200)
    im = Image.new("RGB", (width, height), tuple(rng.randint(0, 255) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(4):
        x0, y0 = rng.randint(0, width - 2), rng.randint(0, height - 2)
        x1, y1 = rng.randint(x0 + 1, width), rng.randint(y0 + 1, height)
        draw.rectangle((x0, y0, x1, y1), fill=tuple(rng.randint(0, 255) for _ in range(3)))
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    return buf.getvalue(), width, height


def synthetic_paragraph(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def synthetic_document(index: int, seed: int = 0, n_images: int = 2, words: int = 12) -> Document:
    """Text, image, text, image, ... with `n_images` images (PNG and JPEG alternating)."""
    rng = random.Random(f"{seed}-{index}")
    url = f"https://example.org/page/{seed}/{index}"
    nodes: list[Node] = [TextNode(synthetic_paragraph(rng, words), "h1" if index % 2 else "p")]
    for i in range(n_images):
        fmt = "PNG" if i % 2 == 0 else "JPEG"
        data, width, height = synthetic_image(rng, fmt)
        node = ImageNode(f"{url}/img{i}.{fmt.lower()}", alt=f"picture {i}",
                         info={"format": fmt.lower(), "width": width, "height": height})
        node.data = data
        nodes.append(node)
        nodes.append(TextNode(synthetic_paragraph(rng, words)))
    return Document(document_key(url), url, nodes, {"title": f"Page {index}", "lang": "en"},
                    Provenance(url, source="synthetic"), {"lang_en": 0.99})


def write_synthetic_shards(out_dir: str | Path, n_docs: int = 8, max_samples: int = 4, seed: int = 0,
                           n_images: int | None = None, words: int = 12) -> Path:
    """A complete output folder (shards + manifest) of synthetic documents; returns the folder.

    Documents have ``index % 3 + 1`` images unless `n_images` is given.
    """
    from builder.shards.manifest import write_manifest
    from builder.shards.writer import ShardWriter

    out = Path(out_dir)
    with ShardWriter(out, "shard", max_samples=max_samples) as writer:
        for i in range(n_docs):
            count = n_images if n_images is not None else i % 3 + 1
            writer.write(synthetic_document(i, seed, n_images=count, words=words))
    write_manifest(out, writer.shards)
    return out
