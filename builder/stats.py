"""Counters for a run: what came in, what went out, and why everything else was dropped.

Reasons are dotted names whose first part is the unit they count: ``doc.words_below_min``,
``image.http_404``, ``paragraph.stopwords``, ``record.not_html``. For every unit that has
``<unit>.in`` and ``<unit>.out`` counters, ``in == out + sum(drops of that unit)`` must
hold at the end of a run; `Stats.imbalances` says where it does not.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

# Units whose flow must balance (in = out + dropped). A "record" is an archive record or a
# fetched response; it goes "out" when it becomes a page for extraction.
BALANCED_UNITS = ("record", "doc", "image")


class Stats:
    __slots__ = ("counts", "drops", "errors", "causes")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.drops: Counter[str] = Counter()
        # Root causes of documents emptied by their filters or fetches: for a drop reason such as
        # ``doc.no_image_left``, how many of its documents each node reason (``image.dns_error``) emptied.
        self.causes: dict[str, Counter[str]] = {}
        # Problems that did not stop the run (an unreadable archive, a failed partition), for the summary.
        self.errors: list[str] = []

    def count(self, name: str, n: int = 1) -> None:
        """Add to a flow or informational counter (``doc.in``, ``image.source.warc``, ...)."""
        self.counts[name] += n

    def drop(self, reason: str, n: int = 1) -> None:
        """Record `n` items dropped for `reason` (``<unit>.<why>``)."""
        if "." not in reason:
            raise ValueError(f"drop reason must be '<unit>.<why>', got {reason!r}")
        if n < 0:
            raise ValueError(f"cannot drop a negative number of items ({reason}: {n})")
        if n:  # no zero entries: every reason listed removed something
            self.drops[reason] += n

    def cause(self, reason: str, cause: str, n: int = 1) -> None:
        """Attribute `n` documents dropped for `reason` to the node reason `cause` that emptied them."""
        self.causes.setdefault(reason, Counter())[cause] += n

    def error(self, message: str) -> None:
        self.errors.append(message)

    def merge(self, other: Stats) -> Stats:
        self.counts.update(other.counts)
        self.drops.update(other.drops)
        self.errors.extend(other.errors)
        for reason, causes in other.causes.items():
            self.causes.setdefault(reason, Counter()).update(causes)
        return self

    def dropped(self, unit: str) -> int:
        prefix = unit + "."
        return sum(n for reason, n in self.drops.items() if reason.startswith(prefix))

    def imbalances(self, units: tuple[str, ...] = BALANCED_UNITS) -> list[str]:
        """Human-readable violations of ``in == out + dropped``; empty when the books balance."""
        problems = []
        for unit in units:
            n_in, n_out = self.counts[f"{unit}.in"], self.counts[f"{unit}.out"]
            n_drop = self.dropped(unit)
            if n_in != n_out + n_drop:
                problems.append(f"{unit}: in={n_in} but out={n_out} + dropped={n_drop}")
        return problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": dict(sorted(self.counts.items())),
            "drops": dict(sorted(self.drops.items())),
            "balance": {
                unit: {
                    "in": self.counts[f"{unit}.in"],
                    "out": self.counts[f"{unit}.out"],
                    "dropped": self.dropped(unit),
                }
                for unit in BALANCED_UNITS
            },
            "drop_causes": {reason: dict(causes.most_common()) for reason, causes in sorted(self.causes.items())},
            "errors": list(self.errors),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stats:
        stats = cls()
        stats.counts.update(data.get("counts", {}))
        stats.drops.update(data.get("drops", {}))
        stats.errors.extend(data.get("errors", []))
        for reason, causes in (data.get("drop_causes") or {}).items():
            stats.causes[reason] = Counter(causes)
        return stats

    def __repr__(self) -> str:
        return f"Stats(counts={dict(self.counts)}, drops={dict(self.drops)})"
