"""Inputs of a run. Each source type splits its input into partitions and reads one into pages.

A source type subclasses `builder.sources.base.Source`: it has a ``kind``,
``partitions() -> list[Partition]`` and ``read(partition, ctx) -> Iterator[Page]``; `read`
may set ``ctx.image_archive`` when its input holds images too. Register new types in
`SOURCE_TYPES` and their config section in `builder.config.SourceConfig`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from builder.sources.cc_index import CcIndexSource
from builder.sources.crawl import CrawlSource
from builder.sources.html import HtmlSource
from builder.sources.obelics import ObelicsSource
from builder.sources.partition import Partition
from builder.sources.warc import WarcSource

if TYPE_CHECKING:
    from builder.config import LoomConfig

SOURCE_TYPES: dict[str, type] = {
    "warc": WarcSource,
    "html": HtmlSource,
    "crawl": CrawlSource,
    "cc_index": CcIndexSource,
    "obelics": ObelicsSource,
}


def build_sources(config: LoomConfig) -> list[Any]:
    return [SOURCE_TYPES[src.type](src, i, config) for i, src in enumerate(config.sources)]


def plan_partitions(config: LoomConfig) -> list[Partition]:
    """Every partition of every source, in a stable order."""
    parts: list[Partition] = []
    for source in build_sources(config):
        parts.extend(source.partitions())
    return parts


__all__ = ["Partition", "SOURCE_TYPES", "build_sources", "plan_partitions"]
