"""Which executor runs the per-partition work."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from builder.config_base import Section


class ExecutorConfig(Section):
    type: Literal["local", "ray"] = "local"  # local worker processes, or a Ray cluster
    workers: int = Field(0, ge=0)  # 0: one per CPU core
    ray_address: str | None = None  # an existing cluster; None starts a local one
