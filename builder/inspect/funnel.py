"""The funnel of a run: from ``<unit>.in`` down to ``<unit>.out``, one step per drop reason.

Reads the `stats.json` of an output folder (`Stats.to_dict()`). When the run also recorded
its stages (``"stages"``: names in order, or per-stage ``{"name", "drops"}`` records), the
steps are grouped and ordered by stage; otherwise by the pipeline step each reason belongs
to (`builder.inspect.pipeline_order`), the text checks in the order of the run's config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from builder.inspect.pipeline_order import check_order, pipeline_key, step_of
from builder.stats import BALANCED_UNITS


@dataclass
class FunnelStep:
    reason: str  # full drop reason, "doc.too_few_words"
    removed: int
    remaining: int  # what is left after this step (when the unit has an "in" count)
    stage: str = ""
    causes: list[tuple[str, int]] = field(default_factory=list)  # stats "drop_causes": what emptied the documents

    @property
    def why(self) -> str:
        return self.reason.partition(".")[2]


@dataclass
class Funnel:
    unit: str
    n_in: int | None  # None when the run did not count this unit coming in
    n_out: int | None
    steps: list[FunnelStep] = field(default_factory=list)

    @property
    def dropped(self) -> int:
        return sum(s.removed for s in self.steps)

    @property
    def balanced(self) -> bool | None:
        if self.n_in is None or self.n_out is None:
            return None
        return self.n_in == self.n_out + self.dropped


def stage_names(stats: dict[str, Any]) -> list[str]:
    """Ordered stage names recorded by the run, if any."""
    return [name for name, _ in _stage_drops(stats)]


def _stage_drops(stats: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    stages = stats.get("stages")
    out: list[tuple[str, dict[str, int]]] = []
    if isinstance(stages, dict):
        stages = [{"name": name, **(v if isinstance(v, dict) else {})} for name, v in stages.items()]
    if not isinstance(stages, list):
        return out
    for stage in stages:
        if isinstance(stage, str):
            out.append((stage, {}))
        elif isinstance(stage, dict) and stage.get("name"):
            drops = stage.get("drops") if isinstance(stage.get("drops"), dict) else {}
            out.append((str(stage["name"]), {str(k): int(v) for k, v in drops.items()}))
    return out


def _ordered_reasons(stats: dict[str, Any], config: dict[str, Any] | None) -> list[tuple[str, int, str]]:
    """(reason, count, stage) for every drop: by recorded stage when known, else in pipeline order."""
    drops = {str(k): int(v) for k, v in (stats.get("drops") or {}).items() if v}
    ordered: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    for stage, stage_drops in _stage_drops(stats):
        for reason, _ in sorted(stage_drops.items(), key=lambda kv: -kv[1]):
            if reason in drops and reason not in seen:
                ordered.append((reason, drops[reason], stage))
                seen.add(reason)
    checks = check_order(config)
    rest = [(r, n) for r, n in drops.items() if r not in seen]
    ordered.extend((r, n, step_of(r)) for r, n in sorted(rest, key=lambda kv: pipeline_key(kv[0], kv[1], checks)))
    return ordered


def build_funnels(stats: dict[str, Any], config: dict[str, Any] | None = None) -> list[Funnel]:
    """One funnel per unit: record, doc and image first, then every other unit that has drops.

    `config` (the run's, from the manifest) orders the text checks as the run ran them.
    """
    counts = {str(k): int(v) for k, v in (stats.get("counts") or {}).items()}
    reasons = _ordered_reasons(stats, config)
    causes = stats.get("drop_causes") if isinstance(stats.get("drop_causes"), dict) else {}
    units = list(BALANCED_UNITS)
    units += sorted({r.partition(".")[0] for r, _, _ in reasons} - set(units))
    funnels = []
    for unit in units:
        n_in = counts.get(f"{unit}.in")
        n_out = counts.get(f"{unit}.out")
        unit_reasons = [(r, n, s) for r, n, s in reasons if r.startswith(unit + ".")]
        if n_in is None and n_out is None and not unit_reasons:
            continue
        remaining = n_in or 0
        steps = []
        for reason, n, stage in unit_reasons:
            remaining -= n
            why = causes.get(reason) if isinstance(causes.get(reason), dict) else {}
            ranked = sorted(((str(k), int(v)) for k, v in why.items()), key=lambda kv: (-kv[1], kv[0]))
            steps.append(FunnelStep(reason, n, remaining, stage, ranked))
        funnels.append(Funnel(unit, n_in, n_out, steps))
    return funnels
