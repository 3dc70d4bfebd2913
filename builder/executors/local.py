"""Run partitions in worker processes on this machine (or inline with one worker).

A worker that dies (killed, out of memory, a crash in native code) breaks a process pool for
every task in it; the executor then reruns the tasks that were in flight one at a time in a
fresh pool, so only the task that kills its worker fails, and the run goes on.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue as queue_module
import signal
import sys
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator

from builder.executors.base import Executor, ProgressFn, failed
from builder.executors.reporting import install_sender, queue_sender

FailureFn = Callable[[Any, str], Any]
POLL_SECONDS = 0.5


def default_workers(requested: int) -> int:
    return requested if requested > 0 else (os.cpu_count() or 1)


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the driver dies, so no orphan keeps writing."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _init_worker(progress_queue: Any) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    install_sender(queue_sender(progress_queue) if progress_queue is not None else None)


class LocalExecutor(Executor):
    name = "local"

    def __init__(self, workers: int = 0) -> None:
        self.workers = default_workers(workers)

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any],
                      on_progress: ProgressFn | None = None,
                      on_failure: FailureFn | None = None) -> Iterator[Any]:
        """`fn(task)` for every task, results as they complete. `fn` must be a module-level function.

        `on_progress(partition, counts)` receives live counters from inside running tasks;
        `on_failure(task, message)` turns a task that raised or killed its worker into a
        result (without it, the error propagates).
        """
        tasks = list(tasks)
        if self.workers == 1 or len(tasks) <= 1:
            yield from self._inline(fn, tasks, on_progress, on_failure)
            return
        yield from self._pooled(fn, tasks, on_progress, on_failure)

    def _inline(self, fn: Callable[[Any], Any], tasks: list[Any],
                on_progress: ProgressFn | None, on_failure: FailureFn | None) -> Iterator[Any]:
        install_sender(on_progress)
        try:
            for task in tasks:
                try:
                    result = fn(task)
                except Exception as exc:
                    if on_failure is None:
                        raise
                    result = on_failure(task, f"{type(exc).__name__}: {exc}")
                yield result
        finally:
            install_sender(None)

    def _pooled(self, fn: Callable[[Any], Any], tasks: list[Any],
                on_progress: ProgressFn | None, on_failure: FailureFn | None) -> Iterator[Any]:
        # fork is fast and the driver holds no threads at this point; spawn elsewhere.
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        mp = multiprocessing.get_context(method)
        progress_queue = mp.Queue() if on_progress is not None else None
        todo: deque[Any] = deque(tasks)
        suspects: deque[Any] = deque()  # in flight when a worker died
        try:
            while todo or suspects:
                solo = bool(suspects)  # a suspect runs alone, so a second death names it
                source = suspects if solo else todo
                workers = 1 if solo else min(self.workers, len(todo))
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp,
                                           initializer=_init_worker, initargs=(progress_queue,))
                running: dict[Future[Any], Any] = {}
                broken = False
                try:
                    while (source or running) and not broken:
                        while source and len(running) < workers:
                            task = source.popleft()
                            running[pool.submit(fn, task)] = task
                        done, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                        _drain(progress_queue, on_progress)
                        for future in done:
                            task = running.pop(future)
                            try:
                                yield future.result()
                            except BrokenProcessPool:
                                broken = True
                                if solo:
                                    yield failed(on_failure, task, "its worker process died (killed or crashed)")
                                else:
                                    suspects.append(task)
                            except Exception as exc:
                                yield failed(on_failure, task, f"{type(exc).__name__}: {exc}")
                    if broken:  # every task still in flight went down with the pool
                        for task in running.values():
                            (source if solo else suspects).append(task)
                        running.clear()
                except BaseException:  # Ctrl-C, or the caller stopped iterating: stop the workers now
                    _kill_workers(pool)
                    broken = True
                    raise
                finally:
                    pool.shutdown(wait=not broken, cancel_futures=True)
            _drain(progress_queue, on_progress)
        finally:
            if progress_queue is not None:
                progress_queue.close()
                progress_queue.cancel_join_thread()


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """Unfinished partitions are redone by the next run; waiting for them would only delay the stop."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            process.kill()


def _drain(progress_queue: Any, on_progress: ProgressFn | None) -> None:
    if progress_queue is None or on_progress is None:
        return
    while True:
        try:
            partition, counts = progress_queue.get_nowait()
        except (queue_module.Empty, OSError, ValueError):
            return
        on_progress(partition, counts)
