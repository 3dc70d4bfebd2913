"""Executors run a function over partitions: `local` (processes) or `ray` (a Ray cluster).

Both implement `builder.executors.base.Executor`: ``map_unordered(fn, tasks, on_progress=None,
on_failure=None)`` calls ``fn(task)`` per typed task (results as they complete), and ``close()``;
`fn` is a module-level function so either can ship it to a worker.
"""

from __future__ import annotations

from collections.abc import Callable

from builder.executors.base import Executor
from builder.executors.config import ExecutorConfig
from builder.executors.local import LocalExecutor


def _local(config: ExecutorConfig) -> Executor:
    return LocalExecutor(config.workers)


def _ray(config: ExecutorConfig) -> Executor:
    from builder.executors.ray import RayExecutor  # optional dependency (loom[ray]): imported when asked for

    return RayExecutor(config)


# The registry: config `executor.type` -> how to build it. `ExecutorConfig.type` lists the same
# names (tests/test_registries.py holds them equal), and `loom run --executor` offers them.
EXECUTOR_TYPES: dict[str, Callable[[ExecutorConfig], Executor]] = {"local": _local, "ray": _ray}


def build_executor(config: ExecutorConfig) -> Executor:
    return EXECUTOR_TYPES[config.type](config)
