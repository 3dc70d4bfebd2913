"""Executors run a function over partitions: `local` (processes) or `ray` (a Ray cluster).

Both offer ``map_unordered(fn, tasks, on_progress=None, on_failure=None)`` (results as they
complete) and ``close()``; `fn` is a module-level function so either can ship it to a worker.
"""

from __future__ import annotations

from typing import Any

from builder.executors.config import ExecutorConfig
from builder.executors.local import LocalExecutor


def build_executor(config: ExecutorConfig) -> Any:
    if config.type == "ray":
        from builder.executors.ray import RayExecutor  # optional dependency: loom[ray]

        return RayExecutor(config)
    return LocalExecutor(config.workers)
