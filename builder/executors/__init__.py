"""Executors run a function over partitions: `local` (processes) or `ray` (a Ray cluster)."""

from __future__ import annotations

from typing import Any

from builder.executors.config import ExecutorConfig
from builder.executors.local import LocalExecutor


def build_executor(config: ExecutorConfig) -> Any:
    if config.type == "ray":
        from builder.executors.ray import RayExecutor  # optional dependency: loom[ray]

        return RayExecutor(config)
    return LocalExecutor(config.workers)
