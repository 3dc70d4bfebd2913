"""The per-document table on disk, read on demand: the keep rule's order, ids, occurrences.

Reduce compares documents only inside groups of duplicates, a small share of the corpus, so
it never loads every document's attributes: it reads them for the documents it asks about,
one partition's ``docs.parquet`` at a time.

Keep rule (the first is kept): latest fetch time, then most images, then longest text, then
smallest id, then smallest content hash (documents sharing an id). The order of any subset
is the order those documents have in the whole corpus, so decisions made group by group
agree with one global ranking.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

KEEP_ORDER = [
    ("fetched", "descending"),
    ("n_images", "descending"),
    ("text_len", "descending"),
    ("id", "ascending"),
    ("content", "ascending"),
]


class DocumentTable:
    def __init__(self, folders: Sequence[Path], offsets: np.ndarray) -> None:
        self.folders = list(folders)
        self.offsets = offsets

    def take(self, docs: np.ndarray, columns: list[str]) -> pa.Table:
        """The given columns for global document indices `docs`, row i for docs[i]."""
        docs = np.asarray(docs, dtype=np.int64)
        if docs.size == 0:
            return pa.table({c: pa.array([]) for c in columns})
        part = np.searchsorted(self.offsets, docs, side="right") - 1
        order = np.argsort(part, kind="stable")
        pieces = []
        for p in np.unique(part):
            rows = docs[order][part[order] == p] - self.offsets[p]
            table = pq.read_table(self.folders[p] / "docs.parquet", columns=columns)
            pieces.append(table.take(pa.array(rows)))
        gathered = pa.concat_tables(pieces)
        back = np.empty_like(order)
        back[order] = np.arange(order.size)
        return gathered.take(pa.array(back))

    def rank_of(self, docs: np.ndarray) -> np.ndarray:
        """Position of each document in keep-rule order among `docs` (0 = the one to keep)."""
        docs = np.asarray(docs, dtype=np.int64)
        if docs.size == 0:
            return np.zeros(0, np.int64)
        table = self.take(docs, [name for name, _ in KEEP_ORDER])
        order = pc.sort_indices(table, sort_keys=KEEP_ORDER).to_numpy()
        rank = np.empty(order.size, np.int64)
        rank[order] = np.arange(order.size)
        return rank

    def ids_of(self, docs: np.ndarray) -> pa.Array:
        if len(docs) == 0:
            return pa.array([], pa.string())
        return self.take(docs, ["id"]).column("id").combine_chunks()

    def occurrences_of(self, docs: np.ndarray) -> pa.Array:
        if len(docs) == 0:
            return pa.array([], pa.int32())
        return self.take(docs, ["occurrence"]).column("occurrence").combine_chunks()
