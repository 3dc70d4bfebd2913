"""Map: one partition's documents → its keys and signatures, on disk.

Streams the documents in batches (text is dropped once hashed), so memory is bounded by the
batch plus a few numbers per document. Everything it computes depends only on the document
itself, never on the partition or the process: the reduce can then decide the same way
however the corpus was split.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from builder.document import Document, ImageNode, TextNode
from filters.dedup.config import DedupConfig
from filters.dedup.grouping import save_run
from filters.dedup.keys import (
    fetched_micros,
    image_exact_key,
    normalize_url,
    paragraph_key,
    parse_phash,
    stable_hash64,
    url_domain,
)
from filters.dedup.minhash import band_keys, signatures
from filters.dedup.perceptual import chunk_keys, phash_identity
from filters.dedup.store import META_FILE, new_temp_dir, publish_dir, write_json

MAP_FORMAT = 2  # 2: pHash chunk and image identity runs, for the sharded reduce
BATCH_DOCS = 512
BATCH_CHARS = 2_000_000


def content_key(text: str, images: list[ImageNode]) -> int:
    """The last tie-break of the keep rule: documents equal on everything else differ here."""
    return stable_hash64(text + "\x00" + "\x00".join(node.src for node in images))


def document_fetched(doc: Document) -> object:
    if doc.provenance is not None and doc.provenance.fetched:
        return doc.provenance.fetched
    return doc.metadata.get("fetched")


@dataclass
class _Columns:
    """Per-partition columns, grown batch by batch."""

    ids: list[str] = field(default_factory=list)
    occurrences: list[int] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    content: list[int] = field(default_factory=list)
    url_keys: list[int] = field(default_factory=list)
    fetched: list[int] = field(default_factory=list)
    n_images: list[int] = field(default_factory=list)
    text_len: list[int] = field(default_factory=list)
    img_doc: list[int] = field(default_factory=list)
    img_ordinal: list[int] = field(default_factory=list)
    img_src: list[str] = field(default_factory=list)
    img_key: list[int] = field(default_factory=list)
    img_phash: list[int] = field(default_factory=list)
    img_has_phash: list[bool] = field(default_factory=list)
    par_keys: list[np.ndarray] = field(default_factory=list)
    par_docs: list[np.ndarray] = field(default_factory=list)
    signatures: list[np.ndarray] = field(default_factory=list)
    has_words: list[np.ndarray] = field(default_factory=list)


class PartitionMapper:
    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self.near = config.near_duplicates

    def write(self, partition: str, docs: Iterable[Document], final_dir: Path) -> int:
        """Map `docs` and publish the result at `final_dir` (replacing an earlier one). Returns the count."""
        cols = _Columns()
        batch: list[str] = []
        batch_chars = 0
        for doc in docs:
            batch.append(self._add_document(doc, cols))
            batch_chars += len(batch[-1])
            if len(batch) >= BATCH_DOCS or batch_chars >= BATCH_CHARS:
                self._add_signatures(batch, cols)
                batch, batch_chars = [], 0
        self._add_signatures(batch, cols)
        tmp = new_temp_dir(final_dir.parent)
        try:
            self._save(partition, cols, tmp)
            publish_dir(tmp, final_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return len(cols.ids)

    def _add_document(self, doc: Document, cols: _Columns) -> str:
        """Record the document's keys; returns its text for the MinHash batch."""
        index = len(cols.ids)
        cols.ids.append(doc.id)
        # Ids should be unique, but two pages can share one (same URL, no WARC offset): the
        # n-th document with an id in this partition is (id, n), for map and apply alike.
        occurrence = cols.seen.get(doc.id, 0)
        cols.seen[doc.id] = occurrence + 1
        cols.occurrences.append(occurrence)
        cols.url_keys.append(stable_hash64(normalize_url(doc.url)) if self.config.urls.enabled else 0)
        cols.fetched.append(fetched_micros(document_fetched(doc)))
        count_paragraphs = self.config.paragraphs.enabled
        domain = url_domain(doc.url) if count_paragraphs else ""
        par_keys: set[int] = set()
        texts: list[str] = []
        ordinal = 0
        min_chars = self.config.paragraphs.min_chars
        for node in doc.nodes:
            if isinstance(node, TextNode):
                texts.append(node.text)
                if count_paragraphs and len(node.text.strip()) >= min_chars:
                    par_keys.add(paragraph_key(domain, node.text))
            elif isinstance(node, ImageNode):
                phash = parse_phash(node.info.get("phash"))
                cols.img_doc.append(index)
                cols.img_ordinal.append(ordinal)
                cols.img_src.append(node.src)
                cols.img_key.append(image_exact_key(node.src, node.info))
                cols.img_phash.append(phash or 0)
                cols.img_has_phash.append(phash is not None)
                ordinal += 1
        cols.n_images.append(ordinal)
        text = "\n\n".join(texts)
        cols.text_len.append(len(text))
        cols.content.append(content_key(text, doc.images))
        if par_keys:
            cols.par_keys.append(np.fromiter(par_keys, dtype=np.uint64, count=len(par_keys)))
            cols.par_docs.append(np.full(len(par_keys), index, dtype=np.uint32))
        return text

    def _add_signatures(self, texts: list[str], cols: _Columns) -> None:
        if not texts:
            return
        sig, has_words = signatures(texts, self.near.ngram, self.near.num_perm, self.near.seed)
        cols.signatures.append(sig)
        cols.has_words.append(has_words)

    def _save(self, partition: str, cols: _Columns, out: Path) -> None:
        n = len(cols.ids)
        pq.write_table(
            pa.table({
                "id": pa.array(cols.ids, pa.string()),
                "occurrence": pa.array(cols.occurrences, pa.int32()),
                "content": pa.array(cols.content, pa.uint64()),
                "url_key": pa.array(cols.url_keys, pa.uint64()),
                "fetched": pa.array(cols.fetched, pa.int64()),
                "n_images": pa.array(cols.n_images, pa.int32()),
                "text_len": pa.array(cols.text_len, pa.int64()),
            }),
            out / "docs.parquet",
        )
        pq.write_table(
            pa.table({
                "doc": pa.array(cols.img_doc, pa.uint32()),
                "ordinal": pa.array(cols.img_ordinal, pa.int32()),
                "src": pa.array(cols.img_src, pa.string()),
                "key": pa.array(cols.img_key, pa.uint64()),
                "phash": pa.array(cols.img_phash, pa.uint64()),
                "has_phash": pa.array(cols.img_has_phash, pa.bool_()),
            }),
            out / "images.parquet",
        )
        num_perm = self.near.num_perm
        sig = np.concatenate(cols.signatures) if cols.signatures else np.zeros((0, num_perm), np.uint32)
        has_words = np.concatenate(cols.has_words) if cols.has_words else np.zeros(0, bool)
        np.save(out / "signatures.npy", sig)
        # Sorted run of band keys: documents with no words take no part.
        bands = band_keys(sig, self.near.bands, self.near.rows)
        band_docs = np.repeat(np.arange(n, dtype=np.uint32), self.near.bands).reshape(n, self.near.bands)
        save_run(out, "bands", bands[has_words].ravel(), band_docs[has_words].ravel())
        par_keys = np.concatenate(cols.par_keys) if cols.par_keys else np.zeros(0, np.uint64)
        par_docs = np.concatenate(cols.par_docs) if cols.par_docs else np.zeros(0, np.uint32)
        save_run(out, "paragraphs", par_keys, par_docs)
        save_run(out, "urls", np.array(cols.url_keys, dtype=np.uint64), np.arange(n, dtype=np.uint32))
        self._save_image_runs(cols, out)
        perceptual = self.config.perceptual
        write_json(out / META_FILE, {
            "format": MAP_FORMAT,
            "map_id": uuid.uuid4().hex,  # a remapped partition makes the reduce start over
            "perceptual": {"enabled": perceptual.enabled, "max_distance": perceptual.max_distance},
            "partition": partition,
            "documents": n,
            "images": len(cols.img_doc),
            "minhash": {"ngram": self.near.ngram, "bands": self.near.bands, "rows": self.near.rows,
                        "seed": self.near.seed},
            "paragraphs": self.config.paragraphs.enabled,
            "urls": self.config.urls.enabled,
            "paragraph_min_chars": self.config.paragraphs.min_chars,
        })

    def _save_image_runs(self, cols: _Columns, out: Path) -> None:
        """Sorted runs the reduce reads by key bucket: pHash chunk keys, and (image identity, document)."""
        key = np.array(cols.img_key, dtype=np.uint64)
        doc = np.array(cols.img_doc, dtype=np.uint32)
        has = np.array(cols.img_has_phash, dtype=bool)
        phash = np.array(cols.img_phash, dtype=np.uint64)
        distinct = np.zeros(0, np.uint64)
        if self.config.perceptual.enabled:
            distinct = np.unique(phash[has])
            key[has] = phash_identity(phash[has])  # the pHash's own identity; reduce maps clustered ones
        chunks = chunk_keys(distinct, self.config.perceptual.max_distance)
        save_run(out, "phash_chunks", chunks.ravel(), np.tile(distinct, chunks.shape[0]), docs_dtype=np.uint64)
        pairs = np.unique(np.stack([key, doc.astype(np.uint64)]), axis=1) if key.size else np.zeros((2, 0), np.uint64)
        save_run(out, "identities", pairs[0], pairs[1].astype(np.uint32))
