"""Run partitions in worker processes on this machine (or inline with one worker)."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Callable, Iterable, Iterator


def default_workers(requested: int) -> int:
    return requested if requested > 0 else (os.cpu_count() or 1)


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int = 0) -> None:
        self.workers = default_workers(workers)

    def map_unordered(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        """`fn(*task)` for every task, results as they complete. `fn` must be a module-level function."""
        tasks = list(tasks)
        if self.workers == 1 or len(tasks) <= 1:
            for task in tasks:
                yield fn(*task)
            return
        # fork is fast and the pipeline holds no threads before this point; spawn elsewhere.
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)),
                                 mp_context=multiprocessing.get_context(method)) as pool:
            futures = [pool.submit(fn, *task) for task in tasks]
            for future in as_completed(futures):
                yield future.result()

    def close(self) -> None:
        pass
