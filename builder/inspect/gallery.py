"""A few example documents for report.html, with thumbnails embedded as data: URIs.

The report must open offline and travel as one file, so it cannot point at the shards; a
handful of documents spread over the corpus, each with small thumbnails, shows what the
numbers mean without making the file heavy (about 5 KiB a thumbnail).
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from dataclasses import dataclass, field

from PIL import Image

from builder.inspect.corpus_index import CorpusIndex, SampleEntry, removal_records
from builder.shards.format import IMAGE_EXTS

THUMB_SIDE = 160
MAX_THUMBS = 4
EXCERPT_CHARS = 400


@dataclass
class GalleryItem:
    entry: SampleEntry
    title: str
    excerpt: str
    thumbs: list[str] = field(default_factory=list)  # data: URIs
    removed: list[tuple[str, int]] = field(default_factory=list)  # (reason, how many) removed from it
    removed_excerpt: str = ""  # what the filters took out, when nothing else is left to show


def spread(entries: list[SampleEntry], n: int) -> list[SampleEntry]:
    """`n` entries evenly spaced over the list (deterministic, so reports are comparable)."""
    if len(entries) <= n:
        return list(entries)
    step = len(entries) / n
    return [entries[int(i * step)] for i in range(n)]


def thumbnail_uri(data: bytes) -> str | None:
    """A small JPEG of the image as a data: URI, or None if the bytes do not decode."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", (THUMB_SIDE, THUMB_SIDE))  # JPEG: decode at reduced scale
            img.thumbnail((THUMB_SIDE, THUMB_SIDE))
            rgb = img.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    buf = io.BytesIO()
    rgb.save(buf, format="JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _cut(text: str) -> str:
    return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")


def gallery(index: CorpusIndex, subset: str, n: int) -> list[GalleryItem]:
    items = []
    for entry in spread(index.subset(subset).samples, n):
        data = index.read_json(entry)
        text = " ".join(t for t in data.get("texts") or [] if t)
        title = str((data.get("metadata") or {}).get("title") or "")
        item = GalleryItem(entry, title, _cut(text))
        records = removal_records(data.get("removed"))
        item.removed = Counter(r["reason"] for r in records).most_common()
        if not text:
            item.removed_excerpt = _cut(" ".join(r["text"] for r in records if isinstance(r.get("text"), str)))
        for suffix in entry.suffixes:
            if len(item.thumbs) >= MAX_THUMBS:
                break
            if suffix.rpartition(".")[2] in IMAGE_EXTS:
                payload = index.read_member(entry, suffix)
                uri = thumbnail_uri(payload) if payload else None
                if uri:
                    item.thumbs.append(uri)
        items.append(item)
    return items
