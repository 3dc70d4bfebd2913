"""Inputs of a run. Each source type splits its input into partitions and reads one into pages.

The registry: `SOURCE_TYPES` maps a config `type` to its `Source` subclass
(`builder.sources.base`). The config's `sources:` union is built from it, so a new source
type is one module plus one `register_source(...)` line below (docs/extending.md).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field

from builder.sources.base import Source
from builder.sources.cc_index import CcIndexSource
from builder.sources.crawl import CrawlSource
from builder.sources.html import HtmlSource
from builder.sources.obelics import ObelicsSource
from builder.sources.partition import Partition
from builder.sources.warc import WarcSource

if TYPE_CHECKING:
    from builder.config import LoomConfig

SOURCE_TYPES: dict[str, type[Source]] = {}


def register_source(cls: type[Source]) -> type[Source]:
    """Make `cls` a source type of the config (`sources: [{type: <cls.type>, ...}]`).

    The config models are built when `builder.config` is first imported: register before.
    """
    if hasattr(sys.modules.get("builder.config"), "LoomConfig"):  # built already: too late
        raise RuntimeError(f"register source {cls.type!r} before builder.config is imported")
    declared = cls.config_class.model_fields["type"].annotation
    if getattr(declared, "__args__", None) != (cls.type,):
        raise TypeError(f"{cls.config_class.__name__}.type must be Literal[{cls.type!r}]")
    if cls.type in SOURCE_TYPES:
        raise ValueError(f"source type {cls.type!r} is registered already")
    SOURCE_TYPES[cls.type] = cls
    return cls


for _builtin in (WarcSource, HtmlSource, CrawlSource, CcIndexSource, ObelicsSource):
    register_source(_builtin)


def source_config_union() -> Any:
    """The `sources:` item type: one config section per registered source, told apart by `type`."""
    sections = tuple(cls.config_class for cls in SOURCE_TYPES.values())
    return Annotated[Union[sections], Field(discriminator="type")]  # type: ignore[valid-type]


def build_sources(config: LoomConfig) -> list[Source]:
    return [SOURCE_TYPES[src.type](src, i, config) for i, src in enumerate(config.sources)]


def plan_partitions(config: LoomConfig) -> list[Partition]:
    """Every partition of every source, in a stable order."""
    parts: list[Partition] = []
    for source in build_sources(config):
        parts.extend(source.partitions())
    return parts


__all__ = ["Partition", "SOURCE_TYPES", "Source", "build_sources", "plan_partitions", "register_source",
           "source_config_union"]
