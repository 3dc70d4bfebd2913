"""Module-level task functions for executor tests (workers import them by name)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from builder.executors.reporting import LiveCounter
from builder.stats import Stats


def square(x: int) -> int:
    return x * x


def fail_on(x: int, bad: int) -> int:
    if x == bad:
        raise ValueError(f"task {x} is bad")
    return x


def die_on(x: int, bad: int) -> int:
    """Kill this worker process outright (as the OOM killer or a native crash would) on `bad`."""
    if x == bad:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.05)
    return x


def ticking(partition: str, docs: int) -> int:
    """Process `docs` documents slowly, reporting live counters as a partition does."""
    stats = Stats()
    counter = LiveCounter(partition, stats, interval=0.0)
    for _ in range(docs):
        stats.count("doc.in")
        counter.tick()
        time.sleep(0.02)
    return docs


def sleep_forever(pid_file: str) -> None:
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(120)
