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
MARK_COLOR = "#222"
TEXT_COLOR = "#333"
AXIS_FONT = f'font-size="10" text-anchor="end" fill="{TEXT_COLOR}"'


@dataclass(frozen=True)
class Bin:
    label: str  # short, shown under the bar
    count: int
    title: str  # long, shown on hover
    lo: float | None = None  # numeric range [lo, hi) of a linear bin (hi is inf for the overflow bar)
    hi: float | None = None
    centered: bool = False  # the bin is one whole number: label the bar, not its left edge


@dataclass(frozen=True)
class Marker:
    """A vertical line at `value` (a threshold): `side` "min" or "max" says which side fails."""

    value: float
    label: str
    side: str = "min"


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
                integer: bool = False, from_zero: bool = True, include: Sequence[float] = ()) -> list[Bin]:
    """About `n` equal bins from 0 (or the minimum, if negative or not `from_zero`) to a round bound.

    The upper bound is the `quantile` of the values, so a few huge outliers do not squash
    the rest into one bar; they are counted in a last "≥ bound" bar instead. With `integer`,
    bins are whole numbers wide (counts: 0, 1, 2 … images, not 0.5). `include` widens the
    range to show these values (thresholds) without counting them.
    """
    if len(values) == 0:
        return []
    arr = np.asarray(values, dtype=float)
    extra = np.asarray(include, dtype=float)
    low_all = min(float(arr.min()), float(extra.min())) if len(extra) else float(arr.min())
    if not from_zero and low_all == arr.max() and not len(extra):  # one value: one bar, not a made-up range
        value = float(arr[0])
        return [Bin(_fmt(value), len(arr), f"{_fmt(value)}: {len(arr)}", value, value + 1 if integer else value,
                    centered=integer)]
    lo = min(0.0, low_all) if from_zero else low_all
    top = float(np.quantile(arr, quantile))
    if len(extra):
        top = max(top, float(extra.max()))
    if integer:
        top = math.ceil(top)  # a whole-number quantile: 0.98 of counts 0 and 1 is 1
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
    unit = integer and step == 1
    bins = [Bin(_fmt(edges[i]), int(counts[i]),
                (f"{_fmt(edges[i])}: {int(counts[i])}" if unit
                 else f"{_fmt(edges[i])} – {_fmt(edges[i + 1])}: {int(counts[i])}"),
                edges[i], edges[i + 1], centered=unit)
            for i in range(n_bins)]
    if overflow:
        bins.append(Bin(f"≥{_fmt(edges[-1])}", overflow, f"≥ {_fmt(edges[-1])}: {overflow}", edges[-1], math.inf,
                        centered=True))
    return bins


def count_into(bins: Sequence[Bin], values: Sequence[float]) -> list[int]:
    """How many of `values` fall in each of `bins` (linear bins; values outside go to the end bins)."""
    if not bins or bins[0].lo is None:
        return [0] * len(bins)
    starts = np.asarray([b.lo for b in bins], dtype=float)
    idx = np.clip(np.searchsorted(starts, np.asarray(values, dtype=float), side="right") - 1, 0, len(bins) - 1)
    return np.bincount(idx, minlength=len(bins)).astype(int).tolist() if len(values) else [0] * len(bins)


def edge_bins(values: Sequence[float], edges: Sequence[float], labels: Sequence[str]) -> list[Bin]:
    """Bins with fixed `edges` (len(labels) + 1 of them; -inf/inf allowed at the ends)."""
    if len(edges) != len(labels) + 1:
        raise ValueError("need one more edge than labels")
    arr = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(edges[1:-1], dtype=float), arr, side="right")
    counts = np.bincount(idx, minlength=len(labels)) if len(arr) else np.zeros(len(labels), int)
    return [Bin(label, int(c), f"{label}: {int(c)}") for label, c in zip(labels, counts, strict=False)]


def _marker_x(bins: Sequence[Bin], marker: Marker, left: float, bar_w: float) -> tuple[float, str]:
    """x of a threshold line, and an arrow when the threshold lies off the chart."""
    first, last = bins[0], bins[-1]
    if first.lo is None or last.hi is None:
        return -1, ""
    value = marker.value
    if marker.side == "max" and all(b.centered for b in bins if b.hi != math.inf):
        value += 1  # whole-number bins: "at most 3" passes the bar of 3, the line goes after it
    if value < first.lo:
        return left, "←"
    finite_end = last.lo if last.hi == math.inf else last.hi
    if value > finite_end:
        return left + len(bins) * bar_w, "→"
    for i, b in enumerate(bins):
        assert b.lo is not None and b.hi is not None
        if b.lo <= value < b.hi or (b.hi == math.inf and value == b.lo):
            span = (b.hi - b.lo) if b.hi != math.inf else 1.0
            return left + (i + (value - b.lo) / span) * bar_w, ""
    return left + len(bins) * bar_w, ""


def histogram_svg(bins: Sequence[Bin], label: str, width: int = 460, height: int = 190,
                  color: str = BAR_COLOR, second: Sequence[int] | None = None, second_color: str = DROP_COLOR,
                  legend: tuple[str, str] | None = None, markers: Sequence[Marker] = ()) -> str:
    """Vertical bars, one per bin, y axis from 0 to the largest count.

    With `second` (counts of another set in the same bins), each bin gets two bars side by side
    (`legend` names the two sets). `markers` draw thresholds as dashed vertical lines.
    """
    if not bins:
        return f'<p class="empty">{escape(label)}: no data</p>'
    left, right, top, bottom = 44, 12, 44 if (legend or markers) else 18, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    counts2 = list(second) if second is not None else None
    peak = max([b.count for b in bins] + (counts2 or [])) or 1
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
    if legend:
        parts.append(
            f'<g class="legend" font-size="10" fill="{TEXT_COLOR}">'
            f'<rect x="{left}" y="17" width="9" height="9" fill="{color}"/>'
            f'<text x="{left + 12}" y="25">{escape(legend[0])}</text>'
            f'<rect x="{left + 150}" y="17" width="9" height="9" fill="{second_color}"/>'
            f'<text x="{left + 162}" y="25">{escape(legend[1])}</text></g>')
    for i, b in enumerate(bins):
        x = left + i * bar_w
        series = [(b.count, color, "")]
        if counts2 is not None:
            series.append((counts2[i], second_color, f" ({legend[1] if legend else 'second'})"))
            series[0] = (b.count, color, f" ({legend[0] if legend else 'first'})")
        w = (bar_w - 2) / len(series)
        for j, (count, fill, who) in enumerate(series):
            h = plot_h * count / peak
            title = b.title.rsplit(":", 1)[0] + f": {count}{who}"
            parts.append(
                f'<rect x="{x + 1 + j * w:.1f}" y="{top + plot_h - h:.1f}" width="{max(w, 1):.1f}" '
                f'height="{h:.1f}" fill="{fill}"><title>{escape(title)}</title></rect>'
            )
        if i % every == 0:
            tick_x = x + bar_w / 2 if b.centered or b.lo is None else x
            parts.append(
                f'<text x="{tick_x:.1f}" y="{top + plot_h + 13}" font-size="10" '
                f'text-anchor="middle" fill="{TEXT_COLOR}">{escape(b.label)}</text>'
            )
    for marker in markers:
        mx, arrow = _marker_x(bins, marker, left, bar_w)
        if mx < 0:
            continue
        text = f"{arrow} {marker.label}" if arrow == "←" else f"{marker.label} {arrow}".strip()
        anchor = "start" if mx < left + plot_w / 2 else "end"
        tx = mx + 3 if anchor == "start" else mx - 3
        parts.append(
            f'<g class="threshold" data-value="{marker.value:g}" data-side="{marker.side}">'
            f'<line x1="{mx:.1f}" y1="{top - 12}" x2="{mx:.1f}" y2="{top + plot_h}" stroke="{MARK_COLOR}" '
            f'stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text x="{tx:.1f}" y="{top - 4}" font-size="10" text-anchor="{anchor}" fill="{MARK_COLOR}">'
            f'{escape(text)}</text><title>threshold: {escape(marker.label)}</title></g>'
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
