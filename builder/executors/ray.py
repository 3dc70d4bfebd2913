"""Run partitions as Ray tasks: on an existing cluster (`executor.ray_address`) or a local one.

Each task is the same module-level function the local executor runs, so the output is the
same. Workers send live counters to a small actor the driver polls. A task whose worker dies
is retried once by Ray, then reported as a failed partition; the run goes on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import builder
from builder.executors.base import Executor, ProgressFn, failed
from builder.executors.config import ExecutorConfig
from builder.executors.local import FailureFn
from builder.executors.reporting import install_sender

POLL_SECONDS = 0.5
# A local cluster started for a run stays on loopback, sends no usage stats, writes no token.
LOCAL_RAY_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_AUTH_MODE": "disabled",
}


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RuntimeError("executor 'ray' needs Ray: pip install 'loom[ray]'") from None
    return ray


class RayExecutor(Executor):
    name = "ray"

    def __init__(self, config: ExecutorConfig) -> None:
        ray = _ray()
        self._owns_session = False
        if not ray.is_initialized():
            for key, value in LOCAL_RAY_ENV.items():
                os.environ.setdefault(key, value)
            if config.ray_address:
                ray.init(address=config.ray_address, log_to_driver=True, configure_logging=False)
            else:
                ray.init(num_cpus=config.workers or None, include_dashboard=False,
                         object_store_memory=config.ray_object_store_mb * 1024 * 1024,
                         runtime_env={"env_vars": {"PYTHONPATH": _python_path()}},
                         configure_logging=False)
            self._owns_session = True
        cluster_cpus = int(ray.cluster_resources().get("CPU", 1))
        # More tasks in flight than CPUs only queue in Ray; fewer when the config asks.
        self.workers = min(config.workers, cluster_cpus) if config.workers > 0 else cluster_cpus
        self._task = ray.remote(num_cpus=1, max_retries=1)(_call_with_progress)
        self._box: Any = None

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any],
                      on_progress: ProgressFn | None = None,
                      on_failure: FailureFn | None = None) -> Iterator[Any]:
        ray = _ray()
        todo = list(tasks)
        todo.reverse()  # pop() from the end keeps the given order
        box = self._progress_box() if on_progress is not None else None
        running: dict[Any, Any] = {}
        fn_ref = ray.put(fn)
        try:
            while todo or running:
                while todo and len(running) < self.workers:
                    task = todo.pop()
                    running[self._task.remote(box, fn_ref, task)] = task
                done, _ = ray.wait(list(running), num_returns=1, timeout=POLL_SECONDS)
                if box is not None:
                    for partition, counts in ray.get(box.drain.remote()):
                        on_progress(partition, counts)
                for ref in done:
                    task = running.pop(ref)
                    try:
                        yield ray.get(ref)
                    except ray.exceptions.RayError as exc:
                        yield failed(on_failure, task, _describe(exc))
        finally:
            for ref in running:
                ray.cancel(ref, force=True)

    def _progress_box(self) -> Any:
        if self._box is None:
            ray = _ray()
            self._box = ray.remote(num_cpus=0)(ProgressBox).remote()
        return self._box

    def close(self) -> None:
        ray = _ray()
        if self._box is not None:
            ray.kill(self._box)
            self._box = None
        if self._owns_session and ray.is_initialized():
            ray.shutdown()


class ProgressBox:
    """Holds the latest counters of each running partition until the driver collects them."""

    def __init__(self) -> None:
        self.latest: dict[str, dict[str, int]] = {}

    def push(self, partition: str, counts: dict[str, int]) -> None:
        self.latest[partition] = counts

    def drain(self) -> list[tuple[str, dict[str, int]]]:
        items, self.latest = list(self.latest.items()), {}
        return items


def _call_with_progress(box: Any, fn: Callable[[Any], Any], task: Any) -> Any:
    """The Ray task: run `fn(task)` with live counters going to `box`."""
    if box is not None:
        install_sender(lambda partition, counts: box.push.remote(partition, counts))
    try:
        return fn(task)
    finally:
        install_sender(None)


def _python_path() -> str:
    """This checkout first, so workers of a local cluster import the same loom as the driver."""
    here = str(Path(builder.__file__).resolve().parent.parent)
    rest = os.environ.get("PYTHONPATH", "")
    return f"{here}{os.pathsep}{rest}" if rest else here


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"
