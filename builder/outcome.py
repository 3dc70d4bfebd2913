"""A run that keeps nothing (or almost nothing) is not a success: say so loudly, with the causes.

`run_alarms` looks at a finished run's counters and returns the warnings the end of `loom run`
prints; `--strict` turns any of them into exit status 1.
"""

from __future__ import annotations

from typing import TextIO

from builder.stats import Stats

TOP_CAUSES = 5


def top_causes(stats: Stats, n: int = TOP_CAUSES) -> list[str]:
    """The document drop reasons that cost the most, each with its root causes when known."""
    lines = []
    doc_drops = [(reason, k) for reason, k in stats.drops.most_common() if reason.startswith("doc.")]
    for reason, k in doc_drops[:n]:
        causes = stats.causes.get(reason)
        detail = ""
        if causes:
            detail = " (" + ", ".join(f"{cause} {m}" for cause, m in causes.most_common(3)) + ")"
        lines.append(f"{reason} {k}{detail}")
    if not doc_drops:  # nothing reached the document stages: say what stopped the records
        record_drops = [(r, k) for r, k in stats.drops.most_common() if r.startswith("record.")]
        lines.extend(f"{reason} {k}" for reason, k in record_drops[:n])
    return lines


def run_alarms(stats: Stats, samples: int, min_kept_share: float) -> list[str]:
    """Warnings about what the run kept: empty output, or under `min_kept_share` of the documents in."""
    docs_in = stats.counts["doc.in"]
    alarms = []
    if samples == 0:
        if docs_in == 0:
            alarms.append(f"the output is empty: no document came in ({stats.counts['record.in']} records read)")
        else:
            alarms.append(f"the output is empty: all {docs_in} documents were dropped")
    elif docs_in and samples / docs_in < min_kept_share:
        alarms.append(f"the run kept {samples} of {docs_in} documents ({samples / docs_in:.1%}), "
                      f"under shards.min_kept_share ({min_kept_share:.0%})")
    return alarms


def print_alarms(alarms: list[str], stats: Stats, file: TextIO, strict: bool) -> None:
    if not alarms:
        return
    w = file.write
    bar = "!" * 72
    w(f"\n{bar}\n")
    for alarm in alarms:
        w(f"loom: WARNING: {alarm}\n")
    causes = top_causes(stats)
    if causes:
        w("  top causes:\n")
        for line in causes:
            w(f"    {line}\n")
    for message in stats.errors[:3]:
        w(f"  error: {message}\n")
    w("  see stats.json (drops, drop_causes) and the rejects with `loom inspect OUT`\n")
    if not strict:
        w("  (exit status 0; with --strict this run would exit 1)\n")
    w(f"{bar}\n")
