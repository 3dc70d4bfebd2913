"""What apply does to one partition: written by reduce, read by apply.

``decisions/<partition>/``
  ``docs.parquet``        id, occurrence, reason, duplicate_of: documents to drop, and the one kept instead
  ``images.parquet``      doc_id, occurrence, ordinal, src, reason: images to remove (ordinal among
                          the document's images)
  ``paragraphs.parquet``  doc_id, occurrence, key: paragraphs to remove, by their (domain, text) key

A document is named by (id, occurrence): occurrence is how many documents with the same id
came before it in the partition (0 when ids are unique, as they should be).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from filters.dedup.store import new_temp_dir, publish_dir

DocRef = tuple[str, int]  # (id, occurrence)


@dataclass
class PartitionDecisions:
    drops: dict[DocRef, tuple[str, str]] = field(default_factory=dict)  # -> (reason, kept id)
    images: dict[DocRef, dict[int, tuple[str, str]]] = field(default_factory=dict)  # -> ordinal -> (src, reason)
    paragraphs: dict[DocRef, set[int]] = field(default_factory=dict)  # -> paragraph keys

    @classmethod
    def load(cls, folder: Path) -> PartitionDecisions:
        out = cls()
        docs = pq.read_table(folder / "docs.parquet").to_pydict()
        out.drops = {(i, o): (r, k) for i, o, r, k in
                     zip(docs["id"], docs["occurrence"], docs["reason"], docs["duplicate_of"])}
        images = pq.read_table(folder / "images.parquet").to_pydict()
        by_doc: dict[DocRef, dict[int, tuple[str, str]]] = defaultdict(dict)
        for doc_id, occ, ordinal, src, reason in zip(images["doc_id"], images["occurrence"], images["ordinal"],
                                                     images["src"], images["reason"]):
            by_doc[(doc_id, occ)][ordinal] = (src, reason)
        out.images = dict(by_doc)
        paragraphs = pq.read_table(folder / "paragraphs.parquet").to_pydict()
        by_doc_p: dict[DocRef, set[int]] = defaultdict(set)
        for doc_id, occ, key in zip(paragraphs["doc_id"], paragraphs["occurrence"], paragraphs["key"]):
            by_doc_p[(doc_id, occ)].add(key)
        out.paragraphs = dict(by_doc_p)
        return out


def write_decisions(final: Path, docs: pa.Table, images: pa.Table, paragraphs: pa.Table) -> None:
    tmp = new_temp_dir(final.parent)
    pq.write_table(docs, tmp / "docs.parquet")
    pq.write_table(images, tmp / "images.parquet")
    pq.write_table(paragraphs, tmp / "paragraphs.parquet")
    publish_dir(tmp, final)
