"""The thresholds a run applied to each document score, read from the config in its manifest.

A document score is named after the check that computed it (``words``, ``stopword_ratio``
for ``stopwords``, ``special_char_ratio`` for ``special_chars``, ``lang_en`` for ``lang``,
``images`` for the image-count rules), and the check's config holds its bounds (``min``,
``max``, ``less_than``, ``min_score``). The dashboard draws them on the score histograms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Threshold:
    value: float
    side: str  # "min": values below fail; "max": values above fail
    label: str  # shown on the chart: "min 0.3", "< 0.12"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _check_config(score: str, checks: dict[str, Any]) -> dict[str, Any]:
    """The config of the check behind `score`: same name, or the name without ``_ratio`` (plural or not)."""
    base = score.removesuffix("_ratio")
    for name in (score, base, base + "s"):
        if isinstance(checks.get(name), dict):
            return checks[name]
    return {}


def _fmt(value: float) -> str:
    return f"{value:g}"


def score_thresholds(score: str, config: dict[str, Any] | None) -> list[Threshold]:
    """The bounds the run applied to document score `score` (empty if none, or filters were off)."""
    filters = _mapping(_mapping(config).get("filters"))
    if not filters or filters.get("enabled") is False:
        return []
    out: list[Threshold] = []
    if score == "images":
        rules = _mapping(filters.get("rules"))
        low, high = _number(rules.get("min_images")), _number(rules.get("max_images"))
        if low is not None and low > 0:
            out.append(Threshold(low, "min", f"min {_fmt(low)}"))
        if high is not None:
            out.append(Threshold(high, "max", f"max {_fmt(high)}"))
        return out
    document = _mapping(filters.get("document"))
    if score.startswith("lang_"):
        lang = _mapping(document.get("lang"))
        languages = filters.get("languages") or []
        low = _number(lang.get("min_score"))
        if lang.get("enabled", True) and low is not None and score[5:] in languages:
            out.append(Threshold(low, "min", f"min {_fmt(low)}"))
        return out
    check = _check_config(score, document)
    if not check or check.get("enabled") is False:
        return []
    low, high, below = _number(check.get("min")), _number(check.get("max")), _number(check.get("less_than"))
    if low is not None and low > float("-inf"):
        out.append(Threshold(low, "min", f"min {_fmt(low)}"))
    if high is not None:
        out.append(Threshold(high, "max", f"max {_fmt(high)}"))
    if below is not None:
        out.append(Threshold(below, "max", f"< {_fmt(below)}"))
    return out
