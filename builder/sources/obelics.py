"""OBELICS-format Parquet as a source: rows are documents whose images are still URLs.

The released OBELICS (HuggingFaceM4/OBELICS) ships, per row: ``texts`` and ``images``
(parallel lists, exactly one of the two set at each position; images are URLs),
``metadata`` (a JSON string: a list as long as ``texts``, a dict per image with
``alt_text``, ``src``, ``unformatted_src``, sizes...) and ``general_metadata`` (a JSON
string: ``url``, ``warc_filename``, ``warc_record_offset``, ``warc_record_length``).

Each row becomes a `Document` directly (there is no HTML to extract): the page carries it in
`Page.document` and the extract stage passes it on. The image stage then fetches the
pictures, so ``loom run`` turns OBELICS rows into shards with the images inside.

A row is one record (``record.in``); a row that is not a valid document is dropped as
``record.malformed`` (the reason is in the run's errors, up to 100 of them).
"""

from __future__ import annotations

import contextlib
import json
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from builder.context import RunContext
from builder.document import Document, ImageNode, Node, Provenance, TextNode
from builder.errors import LoomError, SourceError
from builder.sources.base import Source
from builder.sources.config import ObelicsSourceConfig
from builder.sources.files import expand_paths
from builder.sources.page import Page
from builder.sources.partition import Partition, partition_id
from builder.sources.remote import RemoteReader, expand_remote, is_remote, url_name

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("texts", "images")
# Per-image metadata kept in the image's info (the rest repeats what the node already holds).
IMAGE_KEYS = ("unformatted_src", "rendered_width", "rendered_height", "original_width", "original_height")
_BATCH_ROWS = 1024


class MalformedRow(LoomError, ValueError):
    """A row that cannot be a document."""


def is_parquet(path: Path) -> bool:
    return path.name.lower().endswith(".parquet")


def _json_field(value: Any, name: str) -> Any:
    """OBELICS stores `metadata` / `general_metadata` as JSON strings; accept decoded values too."""
    if value is None or isinstance(value, (list, dict)):
        return value
    if isinstance(value, (str, bytes)):
        if not value:
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise MalformedRow(f"{name} is not valid JSON: {exc}") from None
    raise MalformedRow(f"{name} has type {type(value).__name__}")


def row_to_document(row: dict[str, Any], origin: str) -> Document:
    """One OBELICS row as a Document of ordered text and image nodes (raises MalformedRow)."""
    texts, images = row.get("texts"), row.get("images")
    if not isinstance(texts, list) or not isinstance(images, list):
        raise MalformedRow("texts and images must be lists")
    if len(texts) != len(images):
        raise MalformedRow(f"texts has {len(texts)} entries but images has {len(images)}")
    meta = _json_field(row.get("metadata"), "metadata")
    if not isinstance(meta, list) or len(meta) != len(texts):
        meta = [None] * len(texts)  # absent or inconsistent: the images keep their URLs only
    general = _json_field(row.get("general_metadata"), "general_metadata") or {}
    if not isinstance(general, dict):
        raise MalformedRow("general_metadata must be a JSON object")
    nodes: list[Node] = []
    for i, (text, image) in enumerate(zip(texts, images)):
        if (text is None) == (image is None):
            raise MalformedRow(f"position {i}: exactly one of texts[i] and images[i] must be set")
        if text is not None:
            nodes.append(TextNode(str(text)))
            continue
        info = meta[i] if isinstance(meta[i], dict) else {}
        node = ImageNode(str(image), alt=str(info.get("alt_text") or ""))
        node.info.update({k: info[k] for k in IMAGE_KEYS if info.get(k) is not None})
        nodes.append(node)
    url = str(general.get("url") or (meta_url(meta) or ""))
    # Without a WARC pointer the row's origin names it, so equal URLs still get distinct keys.
    provenance = Provenance(url=url, source="obelics" if general.get("warc_filename") else f"obelics:{origin}")
    if general.get("warc_filename"):
        provenance.warc_file = str(general["warc_filename"])
        provenance.warc_offset = _int_or_none(general.get("warc_record_offset"))
        provenance.warc_length = _int_or_none(general.get("warc_record_length"))
    metadata: dict[str, Any] = {"origin": origin}
    if provenance.warc_file:
        metadata["warc"] = {"file": provenance.warc_file, "offset": provenance.warc_offset,
                            "length": provenance.warc_length}
    return Document(id="", url=url, nodes=nodes, metadata=metadata, provenance=provenance)


def meta_url(meta: list[Any]) -> str | None:
    """The page URL from an image's ``document_url`` when general_metadata lacks it."""
    for item in meta:
        if isinstance(item, dict) and item.get("document_url"):
            return str(item["document_url"])
    return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ObelicsSource(Source):
    """Documents from OBELICS-format Parquet files, `rows_per_partition` rows to a partition."""

    type = "obelics"
    config_class = ObelicsSourceConfig
    config: ObelicsSourceConfig

    def _files(self) -> list[str]:
        local = [p for p in self.config.paths if not is_remote(p)]
        files, unmatched = expand_paths(local, self.loom_config.resolve, is_parquet) if local else ([], [])
        for pattern in unmatched:
            log.warning("obelics source: %r matched no Parquet file", pattern)
        remote = [p for p in self.config.paths if is_remote(p)]
        try:
            remote = expand_remote(remote, self.config.remote.storage_options) if remote else []
        except (ImportError, ValueError, OSError) as exc:
            raise SourceError(f"obelics source: cannot list {remote}: {exc}") from None
        return [str(f) for f in files] + remote

    @contextmanager
    def _parquet(self, location: str, reader: RemoteReader):
        """The Parquet file at `location` (local, http(s) by byte ranges, or fsspec)."""
        import pyarrow.parquet as pq

        with contextlib.ExitStack() as stack:
            try:
                handle = stack.enter_context(reader.open_seekable(location))
                parquet = pq.ParquetFile(handle)
            except SourceError:
                raise
            except Exception as exc:  # pyarrow raises ArrowInvalid/OSError on a file that is not Parquet
                raise SourceError(f"{location}: not a readable Parquet file: {exc}") from None
            yield parquet

    def partitions(self) -> list[Partition]:
        size = self.config.rows_per_partition
        parts = []
        with RemoteReader(self.config.remote) as reader:
            for location in self._files():
                with self._parquet(location, reader) as parquet:
                    names = parquet.schema_arrow.names
                    n = parquet.metadata.num_rows
                missing = [c for c in REQUIRED_COLUMNS if c not in names]
                if missing:
                    raise SourceError(f"{location}: not OBELICS format: no column {', '.join(missing)} "
                                      f"(columns: {', '.join(names)})")
                identity = location if is_remote(location) else str(Path(location).resolve())
                for start in range(0, n, size):
                    stop = min(n, start + size)
                    parts.append(Partition(partition_id(self.type, f"{identity}:{start}:{stop}",
                                                        f"{url_name(location).removesuffix('.parquet')}-{start}"),
                                           self.index, (f"{location}\t{start}\t{stop}",),
                                           f"{location} rows {start}-{stop}"))
        return parts

    def read(self, partition: Partition, ctx: RunContext) -> Iterator[Page]:
        (item,) = partition.items
        location, start_str, stop_str = item.split("\t")
        start, stop = int(start_str), int(stop_str)
        name = url_name(location)
        with RemoteReader(self.config.remote) as reader, self._parquet(location, reader) as parquet:
            columns = [c for c in ("texts", "images", "metadata", "general_metadata")
                       if c in parquet.schema_arrow.names]
            row = 0
            for group in range(parquet.num_row_groups):  # whole row groups before `start` are never read
                n_group = parquet.metadata.row_group(group).num_rows
                if row + n_group <= start:
                    row += n_group
                    continue
                if row >= stop:
                    return
                for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, row_groups=[group], columns=columns):
                    for record in batch.to_pylist():
                        if start <= row < stop:
                            page = self._page(record, f"{name}:{row}", ctx)
                            if page is not None:
                                yield page
                        row += 1

    @staticmethod
    def _page(record: dict[str, Any], origin: str, ctx: RunContext) -> Page | None:
        ctx.stats.count("record.in")
        try:
            doc = row_to_document(record, origin)
        except MalformedRow as exc:
            ctx.stats.drop("record.malformed")
            if len(ctx.stats.errors) < 100:
                ctx.stats.error(f"{origin}: {exc}")
            return None
        ctx.stats.count("record.out")
        return Page(doc.url, b"", {}, doc.provenance, 200, document=doc)
