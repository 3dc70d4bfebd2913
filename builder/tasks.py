"""The typed tasks the driver hands to an executor: one frozen dataclass per phase.

A task names everything its worker needs (the config, the output, what to work on), so a
worker on another machine needs nothing else; `builder.partition_tasks` and the phase
modules hold the functions that take them.
"""

from __future__ import annotations

from dataclasses import dataclass

from builder.config import LoomConfig
from builder.run_output import RunOutput
from builder.run_state import PartitionResult
from builder.sources.partition import Partition


@dataclass(frozen=True)
class BuildTask:
    """Read, extract and filter one input partition; `staged`: to staging shards (dedup follows)."""

    config: LoomConfig
    partition: Partition
    output: RunOutput
    staged: bool

    @property
    def name(self) -> str:
        return self.partition.id


@dataclass(frozen=True)
class ReduceTask:
    """Decide the duplicates over the mapped `partitions`."""

    config: LoomConfig
    output: RunOutput
    partitions: tuple[str, ...]

    @property
    def name(self) -> str:
        return "dedup-reduce"


@dataclass(frozen=True)
class ApplyTask:
    """Apply the dedup decisions to one built partition and write its final shards."""

    config: LoomConfig
    built: PartitionResult
    output: RunOutput

    @property
    def name(self) -> str:
        return self.built.partition


@dataclass(frozen=True)
class PagesTask:
    """Pages phase: read, extract and text-filter one input partition; images that need the
    network are listed for the fetch phase (by host bucket) instead of being fetched."""

    config: LoomConfig
    partition: Partition
    output: RunOutput

    @property
    def name(self) -> str:
        return self.partition.id


@dataclass(frozen=True)
class FetchTask:
    """Fetch phase: every URL listed for one host bucket, by the only task that talks to its hosts."""

    config: LoomConfig
    output: RunOutput
    bucket: int
    lists: tuple[str, ...]  # the pages partitions whose URL lists have entries in this bucket

    @property
    def name(self) -> str:
        return f"fetch-{self.bucket:04d}"


@dataclass(frozen=True)
class AssembleTask:
    """Assemble phase: one partition's pages joined with the fetched bytes, image filters, doc rules;
    to final shards, or to staging + dedup keys when `staged`."""

    config: LoomConfig
    partition: str
    output: RunOutput
    staged: bool

    @property
    def name(self) -> str:
        return self.partition
