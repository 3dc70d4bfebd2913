"""Executors run a function over partitions: `local` (processes) or `ray` (a Ray cluster).

Both implement `builder.executors.base.Executor`: ``map_unordered(fn, tasks, on_progress=None,
on_failure=None)`` calls ``fn(task)`` per typed task (results as they complete), and ``close()``;
`fn` is a module-level function so either can ship it to a worker.
"""

from __future__ import annotations

from builder.executors.base import Executor
from builder.executors.config import ExecutorConfig
from builder.executors.local import LocalExecutor


def build_executor(config: ExecutorConfig) -> Executor:
    if config.type == "ray":
        from builder.executors.ray import RayExecutor  # optional dependency: loom[ray]

        return RayExecutor(config)
    return LocalExecutor(config.workers)
