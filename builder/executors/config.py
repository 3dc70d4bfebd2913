"""Which executor runs the per-partition work, and where it keeps work state."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from builder.config_base import Section


class ExecutorConfig(Section):
    type: Literal["local", "ray"] = "local"
    workers: int = Field(0, ge=0)  # 0: one per CPU core (local) or per cluster CPU (ray)
    ray_address: str | None = None  # an existing cluster ("auto", "ray://host:10001"); None starts a local one
    ray_object_store_mb: int = Field(256, ge=64)  # object store of a local cluster started for the run
    # Local folder for staging shards and dedup state when the output is an fsspec URL (not a
    # local folder); on a multi-machine cluster, a folder every machine mounts. None: the temp folder.
    work_dir: str | None = None
