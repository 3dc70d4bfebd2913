"""What every source type shares: its config section, its place in the config, the whole config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Iterator

if TYPE_CHECKING:
    from builder.config import LoomConfig
    from builder.context import RunContext
    from builder.sources.page import Page
    from builder.sources.partition import Partition


class Source:
    """A kind of input: splits itself into partitions, and reads one partition into pages."""

    kind: ClassVar[str]

    def __init__(self, config: Any, index: int, loom_config: LoomConfig) -> None:
        self.config = config  # this source's section of the config
        self.index = index  # its position in `sources:`, recorded in each partition
        self.loom_config = loom_config

    def partitions(self) -> list[Partition]:
        raise NotImplementedError

    def read(self, partition: Partition, ctx: RunContext) -> Iterator[Page]:
        raise NotImplementedError
