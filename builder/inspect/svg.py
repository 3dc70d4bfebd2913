"""Small inline-SVG charts (histograms, horizontal bars): no plotting dependency, no script.

Every chart is a self-contained ``<svg>`` string that works inside the live viewer and
the offline report alike; each bar carries a ``<title>`` so hovering shows its exact count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Sequence

import numpy as np

BAR_COLOR = "#4c78a8"
DROP_COLOR = "#e45756"
TEXT_COLOR = "#333"
AXIS_FONT = f'font-size="10" text-anchor="end" fill="{TEXT_COLOR}"'


@dataclass(frozen=True)
class Bin:
    label: str  # short, shown under the bar
    count: int
    title: str  # long, shown on hover


def _nice_step(span: float, n: int) -> float:
    """A round bin width (1, 2, 2.5 or 5 × 10^k) giving about `n` bins over `span`."""
    raw = max(span / max(n, 1), 1e-12)
    magnitude = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * magnitude:
            return mult * magnitude
    return 10 * magnitude


def _fmt(x: float) -> str:
    if x == int(x):
        x = int(x)
        return f"{x / 1000:g}k" if abs(x) >= 10_000 else str(x)
    return f"{x:.3g}"


def linear_bins(values: Sequence[float], n: int = 20, quantile: float = 0.99,
                integer: bool = False, from_zero: bool = True) -> list[Bin]:
    """About `n` equal bins from 0 (or the minimum, if negative or not `from_zero`) to a round bound.

    The upper bound is the `quantile` of the values, so a few huge outliers do not squash
    the rest into one bar; they are counted in a last "≥ bound" bar instead. With `integer`,
    bins are whole numbers wide (counts: 0, 1, 2 … images, not 0.5).
    """
    if len(values) == 0:
        return []
    arr = np.asarray(values, dtype=float)
    if not from_zero and arr.min() == arr.max():  # one value: one bar, not a range made up around it
        value = float(arr[0])
        return [Bin(_fmt(value), len(arr), f"{_fmt(value)}: {len(arr)}")]
    lo = min(0.0, float(arr.min())) if from_zero else float(arr.min())
    top = float(np.quantile(arr, quantile))
    if top <= lo:
        top = float(arr.max())
    if top <= lo:
        top = lo + 1
    step = _nice_step(top - lo, n)
    if integer:
        step = max(1.0, float(round(step)))
    lo = math.floor(lo / step) * step
    n_bins = math.floor((top - lo) / step + 1e-9) + 1  # the last edge lies above `top`
    edges = [lo + i * step for i in range(n_bins + 1)]
    counts, _ = np.histogram(np.clip(arr, lo, edges[-1]), bins=edges)
    overflow = int((arr >= edges[-1]).sum())
    counts[-1] -= overflow  # np.histogram's last bin is closed; those values are overflow
    bins = [Bin(_fmt(edges[i]), int(counts[i]), f"{_fmt(edges[i])} – {_fmt(edges[i + 1])}: {int(counts[i])}")
            for i in range(n_bins)]
    if overflow:
        bins.append(Bin(f"≥{_fmt(edges[-1])}", overflow, f"≥ {_fmt(edges[-1])}: {overflow}"))
    return bins


def edge_bins(values: Sequence[float], edges: Sequence[float], labels: Sequence[str]) -> list[Bin]:
    """Bins with fixed `edges` (len(labels) + 1 of them; -inf/inf allowed at the ends)."""
    if len(edges) != len(labels) + 1:
        raise ValueError("need one more edge than labels")
    arr = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(edges[1:-1], dtype=float), arr, side="right")
    counts = np.bincount(idx, minlength=len(labels)) if len(arr) else np.zeros(len(labels), int)
    return [Bin(label, int(c), f"{label}: {int(c)}") for label, c in zip(labels, counts, strict=False)]


def histogram_svg(bins: Sequence[Bin], label: str, width: int = 460, height: int = 190,
                  color: str = BAR_COLOR) -> str:
    """Vertical bars, one per bin, y axis from 0 to the largest count."""
    if not bins:
        return f'<p class="empty">{escape(label)}: no data</p>'
    left, right, top, bottom = 44, 8, 18, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(b.count for b in bins) or 1
    bar_w = plot_w / len(bins)
    every = max(1, math.ceil(len(bins) / 8))  # at most ~8 labels under the axis
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">',
        f'<text x="{left}" y="12" font-size="12" fill="{TEXT_COLOR}">{escape(label)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" {AXIS_FONT}>{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" {AXIS_FONT}>0</text>',
    ]
    for i, b in enumerate(bins):
        h = plot_h * b.count / peak
        x = left + i * bar_w
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{max(bar_w - 2, 1):.1f}" '
            f'height="{h:.1f}" fill="{color}"><title>{escape(b.title)}</title></rect>'
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 13}" font-size="10" '
                f'text-anchor="middle" fill="{TEXT_COLOR}">{escape(b.label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def bars_svg(items: Sequence[tuple[str, int]], label: str, width: int = 460,
             color: str = BAR_COLOR, row: int = 18) -> str:
    """Horizontal bars, one row per (name, count), with the count written after the bar."""
    if not items:
        return f'<p class="empty">{escape(label)}: no data</p>'
    label_w, count_w, top = 170, 60, 20
    plot_w = width - label_w - count_w
    height = top + row * len(items) + 4
    peak = max(n for _, n in items) or 1
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}">',
        f'<text x="0" y="12" font-size="12" fill="{TEXT_COLOR}">{escape(label)}</text>',
    ]
    for i, (name, n) in enumerate(items):
        y = top + i * row
        w = plot_w * n / peak
        short = name if len(name) <= 28 else name[:27] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + row - 6}" font-size="11" text-anchor="end" '
            f'fill="{TEXT_COLOR}">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{max(w, 1):.1f}" height="{row - 4}" fill="{color}">'
            f"<title>{escape(name)}: {n}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + row - 6}" font-size="11" '
            f'fill="{TEXT_COLOR}">{n:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
