"""What apply does to one partition: written by reduce, read by apply.

``decisions/<partition>/``
  ``docs.parquet``        id, reason, duplicate_of: documents to drop, and the one kept instead
  ``images.parquet``      doc_id, ordinal, src, reason: images to remove (ordinal among the document's images)
  ``paragraphs.parquet``  doc_id, key: paragraphs to remove, by their (domain, text) key
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from filters.dedup.store import new_temp_dir, publish_dir


@dataclass
class PartitionDecisions:
    drops: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (reason, kept id)
    images: dict[str, dict[int, tuple[str, str]]] = field(default_factory=dict)  # id -> ordinal -> (src, reason)
    paragraphs: dict[str, set[int]] = field(default_factory=dict)  # id -> paragraph keys

    @classmethod
    def load(cls, folder: Path) -> PartitionDecisions:
        out = cls()
        docs = pq.read_table(folder / "docs.parquet").to_pydict()
        out.drops = {i: (r, k) for i, r, k in zip(docs["id"], docs["reason"], docs["duplicate_of"])}
        images = pq.read_table(folder / "images.parquet").to_pydict()
        by_doc: dict[str, dict[int, tuple[str, str]]] = defaultdict(dict)
        for doc_id, ordinal, src, reason in zip(images["doc_id"], images["ordinal"], images["src"],
                                                images["reason"]):
            by_doc[doc_id][ordinal] = (src, reason)
        out.images = dict(by_doc)
        paragraphs = pq.read_table(folder / "paragraphs.parquet").to_pydict()
        by_doc_p: dict[str, set[int]] = defaultdict(set)
        for doc_id, key in zip(paragraphs["doc_id"], paragraphs["key"]):
            by_doc_p[doc_id].add(key)
        out.paragraphs = dict(by_doc_p)
        return out


def write_decisions(final: Path, docs: pa.Table, images: pa.Table, paragraphs: pa.Table) -> None:
    tmp = new_temp_dir(final.parent)
    pq.write_table(docs, tmp / "docs.parquet")
    pq.write_table(images, tmp / "images.parquet")
    pq.write_table(paragraphs, tmp / "paragraphs.parquet")
    publish_dir(tmp, final)
