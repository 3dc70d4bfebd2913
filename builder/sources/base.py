"""What every source type shares: its config `type`, its config section, and the two things it does.

A source type is one module (docs/extending.md): a config section (a `Section` with
``type: Literal["<name>"]``) and a `Source` subclass naming it, registered with
`builder.sources.register_source`. The config union, `loom config reference` and
docs/config.md follow from the registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Iterator

if TYPE_CHECKING:
    from builder.config import LoomConfig
    from builder.config_base import Section
    from builder.context import RunContext
    from builder.sources.page import Page
    from builder.sources.partition import Partition


class Source:
    """A kind of input: splits itself into partitions, and reads one partition into pages.

    `read` may hand the stages one typed side input: ``ctx.image_archive`` when the input
    holds the pages' images too (a WARC with its images inside).
    """

    type: ClassVar[str]  # the config `type`, and the registry key
    config_class: ClassVar[type[Section]]  # its config section (with `type: Literal[...]`)

    def __init__(self, config: Any, index: int, loom_config: LoomConfig) -> None:
        self.config = config  # this source's section of the config
        self.index = index  # its position in `sources:`, recorded in each partition
        self.loom_config = loom_config  # for `resolve` (paths relative to the config file)
        # The one setting of another stage a source gets, handed over here: a page larger than
        # extraction accepts is rejected anyway, so a source need not read (or fetch) past it.
        self.max_page_bytes: int = loom_config.extract.max_page_bytes

    def partitions(self) -> list[Partition]:
        """Every unit of work of this input, in a stable order, with stable ids (`partition_id`)."""
        raise NotImplementedError

    def read(self, partition: Partition, ctx: RunContext) -> Iterator[Page]:
        """The pages of one partition; what cannot be read is counted in ``ctx.stats`` with a reason."""
        raise NotImplementedError
