"""Module-level task functions for executor tests (workers import them by name)."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from builder.executors.reporting import LiveCounter
from builder.stats import Stats


def square(x: int) -> int:
    return x * x


@dataclass(frozen=True)
class Pick:
    x: int
    bad: int  # the task that fails


@dataclass(frozen=True)
class Ticks:
    partition: str
    docs: int


def fail_on(task: Pick) -> int:
    if task.x == task.bad:
        raise ValueError(f"task {task.x} is bad")
    return task.x


def die_on(task: Pick) -> int:
    """Kill this worker process outright (as the OOM killer or a native crash would) on `bad`."""
    if task.x == task.bad:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.05)
    return task.x


def ticking(task: Ticks) -> int:
    """Process `docs` documents slowly, reporting live counters as a partition does."""
    stats = Stats()
    counter = LiveCounter(task.partition, stats, interval=0.0)
    docs = task.docs
    for _ in range(docs):
        stats.count("doc.in")
        counter.tick()
        time.sleep(0.02)
    return docs


def sleep_forever(pid_file: str) -> None:
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(120)
