"""The human summary printed at the end of `loom run`."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from builder.pipeline import RunSummary


def print_summary(summary: RunSummary, file: TextIO, top: int = 12) -> None:
    stats = summary.stats
    c = stats.counts
    w = file.write
    w(f"\nloom: {summary.partitions} partitions ({summary.resumed} resumed, {len(summary.failed)} failed) "
      f"in {summary.seconds:.1f}s\n")
    for unit in ("record", "doc", "image"):
        w(f"  {unit + 's':8s} in {c[unit + '.in']:>8}  out {c[unit + '.out']:>8}  "
          f"dropped {stats.dropped(unit):>8}\n")
    if stats.drops:
        w("  top drop reasons:\n")
        for reason, n in stats.drops.most_common(top):
            w(f"    {reason:40s} {n:>8}\n")
            for cause, k in stats.causes.get(reason, Counter()).most_common(3):  # what emptied them
                w(f"      └ {cause:36s} {k:>8}\n")
    problems = stats.imbalances()
    if problems:
        w("  WARNING: the books do not balance: " + "; ".join(problems) + "\n")
    for message in stats.errors[:20]:
        w(f"  error: {message}\n")
    if len(stats.errors) > 20:
        w(f"  ... and {len(stats.errors) - 20} more errors (see stats.json)\n")
    where = summary.output or str(summary.out_dir)
    sep = "" if where.endswith("/") else "/"
    w(f"  {summary.samples} samples in {len(summary.shards)} shards → {where}\n")
    w(f"  manifest: {where}{sep}manifest.json  stats: {where}{sep}stats.json\n")
