"""Local HTML files (`.html`, `.htm`, `.html.gz`) and folders of them as a source of pages."""

from __future__ import annotations

import gzip
import logging
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from builder.context import RunContext
from builder.document import Provenance
from builder.errors import SourceError
from builder.sources.base import Source
from builder.sources.config import HtmlSourceConfig
from builder.sources.files import expand_paths
from builder.sources.page import Page
from builder.sources.partition import Partition, partition_id

log = logging.getLogger(__name__)

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")
NO_URL_WARNING = ("pages without a URL (no `url`/`urls` in the html source, no --url/--urls): their relative "
                  "image paths resolve to file:// and cannot be fetched (dropped as image.bad_scheme); "
                  "absolute and //host/... images still are. Give the pages' URLs to fetch them all.")


def is_html_file(path: Path) -> bool:
    return path.name.lower().endswith(HTML_SUFFIXES)


def read_html_file(path: Path, max_bytes: int) -> bytes:
    """The page's bytes, gunzipped where the name ends in `.gz`, at most `max_bytes` + 1."""
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as fh:
            return fh.read(max_bytes + 1)
    with open(path, "rb") as fh:
        return fh.read(max_bytes + 1)


def load_url_map(path: Path) -> dict[str, str]:
    """`path<TAB>url` lines → {resolved path: url}; relative paths are relative to the map file."""
    mapping: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[1].strip():
            raise SourceError(f"{path}:{lineno}: expected 'path<TAB>url', got {line!r}")
        file_path = Path(parts[0].strip())
        if not file_path.is_absolute():
            file_path = path.parent / file_path
        mapping[str(file_path.resolve())] = parts[1].strip()
    return mapping


def page_url(path: Path, url_map: dict[str, str], default_url: str | None) -> str:
    return url_map.get(str(path.resolve())) or default_url or path.resolve().as_uri()


class HtmlSource(Source):
    """Pages from local files, `files_per_partition` files to a partition."""

    type = "html"
    config_class = HtmlSourceConfig
    config: HtmlSourceConfig

    def partitions(self) -> list[Partition]:
        files, unmatched = expand_paths(self.config.paths, self.loom_config.resolve, is_html_file,
                                        self.config.exclude)
        for pattern in unmatched:
            log.warning("html source: %r matched no HTML file", pattern)
        if files and not (self.config.url or self.config.urls):
            log.warning(NO_URL_WARNING)
        size = self.config.files_per_partition
        parts = []
        for start in range(0, len(files), size):
            chunk = tuple(str(f) for f in files[start:start + size])
            parts.append(Partition(partition_id(self.type, "\n".join(chunk), Path(chunk[0]).stem),
                                   self.index, chunk, f"{chunk[0]} (+{len(chunk) - 1} files)"))
        return parts

    def read(self, partition: Partition, ctx: RunContext) -> Iterator[Page]:
        url_map = load_url_map(self.loom_config.resolve(self.config.urls)) if self.config.urls else {}
        max_bytes = self.max_page_bytes
        for item in partition.items:
            path = Path(item)
            ctx.stats.count("record.in")
            try:
                body = read_html_file(path, max_bytes)
            except (OSError, EOFError, zlib.error) as exc:
                ctx.stats.drop("record.unreadable")
                ctx.stats.error(f"{path}: cannot read: {exc}")
                continue
            if len(body) > max_bytes:
                ctx.stats.drop("record.too_large")
                continue
            url = page_url(path, url_map, self.config.url)
            mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            ctx.stats.count("record.out")
            yield Page(url, body, {}, Provenance(url=url, fetched=mtime, source="html", file=str(path)))
