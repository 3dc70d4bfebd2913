"""Small builders for test documents with real (Pillow-drawn) image bytes."""

from __future__ import annotations

import io

from PIL import Image

from builder.document import Document, ImageNode, Provenance, TextNode, document_key


def image_bytes(width: int = 200, height: int = 160, color: tuple[int, int, int] = (200, 80, 40),
                fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", (width, height), color)
    for x in range(0, width, 10):  # some structure, so hashes differ by content
        img.putpixel((x, (x * 7) % height), (x % 256, 255 - x % 256, 128))
    img.save(out, fmt)
    return out.getvalue()


def image_node(src: str, width: int = 200, height: int = 160, color: tuple[int, int, int] = (200, 80, 40),
               fmt: str = "PNG") -> ImageNode:
    data = image_bytes(width, height, color, fmt)
    return ImageNode(src, alt="a picture", info={"width": width, "height": height, "format": fmt.lower()},
                     data=data)


def make_document(n: int = 0, paragraphs: int = 2, images: int = 1, url: str | None = None) -> Document:
    url = url or f"http://127.0.0.1/page{n}.html"
    nodes: list = []
    for p in range(paragraphs):
        nodes.append(TextNode(f"Paragraph {p} of page {n}: the quick brown fox jumps over the lazy dog."))
        if p < images:
            nodes.append(image_node(f"http://127.0.0.1/img{n}-{p}.png", color=(n * 40 % 256, p * 60, 90)))
    for extra in range(paragraphs, images):
        nodes.append(image_node(f"http://127.0.0.1/img{n}-{extra}.png"))
    return Document(document_key(url), url, nodes, {"title": f"Page {n}", "lang": "en"},
                    Provenance(url=url, fetched="2026-11-01T12:00:00Z", source="test"),
                    {"words": 20.0})
