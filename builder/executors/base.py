"""The one interface every executor implements: run a module-level function over typed tasks.

``map_unordered(fn, tasks)`` calls ``fn(task)`` once per task (a frozen dataclass from
`builder.tasks`, so a worker gets named fields, never a positional tuple) and yields the
results as they complete. A task that raises or kills its worker becomes
``on_failure(task, message)``; without `on_failure` the error propagates. `local` runs the
tasks in processes on this machine, `ray` as Ray tasks; the phases never know which.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable, ClassVar, Iterable, Iterator, TypeVar

TaskT = TypeVar("TaskT")
ResultT = TypeVar("ResultT")

# (partition, cumulative counters) from inside a running task -> the driver's progress line.
ProgressFn = Callable[[str, dict[str, int]], None]


class Executor(ABC):
    name: ClassVar[str]
    workers: int  # tasks that run at once

    @abstractmethod
    def map_unordered(self, fn: Callable[[TaskT], ResultT], tasks: Iterable[TaskT],
                      on_progress: ProgressFn | None = None,
                      on_failure: Callable[[TaskT, str], ResultT] | None = None) -> Iterator[ResultT]:
        """`fn(task)` for every task, results as they complete; `fn` must be a module-level function."""

    def close(self) -> None:  # noqa: B027 - most executors hold nothing to release
        """Release what the executor holds (a cluster it started)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def failed(on_failure: Callable[[TaskT, str], ResultT] | None, task: TaskT, message: str) -> ResultT:
    """A task that failed outside `fn` (its worker died): `on_failure`'s result, or an error."""
    if on_failure is None:
        raise RuntimeError(message)
    return on_failure(task, message)
