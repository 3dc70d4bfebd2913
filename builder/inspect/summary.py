"""Everything the dashboard shows, computed once from the index, `stats.json` and the manifest."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.inspect.corpus_index import CorpusIndex, SubsetIndex
from builder.inspect.funnel import Funnel, build_funnels, stage_names
from builder.inspect.query import UNKNOWN
from builder.inspect.svg import DROP_COLOR, bars_svg, edge_bins, histogram_svg, linear_bins
from builder.shards.format import MANIFEST_NAME, STATS_NAME

TOP_DOMAINS = 20
TOP_LANGS = 15
MAX_SCORE_CHARTS = 8
INF = float("inf")
# Aspect ratio (width / height) bands: portrait on the left, landscape on the right.
ASPECT_EDGES = [0, 1 / 3, 1 / 2, 2 / 3, 0.9, 1.1, 3 / 2, 2, 3, INF]
ASPECT_LABELS = ["<1:3", "1:3", "1:2", "2:3", "≈1:1", "3:2", "2:1", "3:1", ">3:1"]


@dataclass
class Chart:
    title: str
    svg: str


@dataclass
class Summary:
    out_dir: Path
    manifest: dict[str, Any] | None
    stats: dict[str, Any] | None
    funnels: list[Funnel]
    stages: list[str]
    documents: int
    images: int
    words: int
    rejects: int
    reject_reasons: list[tuple[str, int]]
    languages: list[tuple[str, int]]
    domains: list[tuple[str, int]]
    n_domains: int
    score_names: list[str]
    charts: list[Chart] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # found while reading the folder
    run_errors: list[str] = field(default_factory=list)  # recorded by the run (failed partitions, ...)
    partitions: dict[str, Any] | None = None  # {"total": n, "failed": [ids]} when the run recorded it
    counters: list[tuple[str, int]] = field(default_factory=list)  # every count of stats.json


def load_json(path: Path, problems: list[str]) -> dict[str, Any] | None:
    """The JSON object in `path`, or None (with a note in `problems` if it exists but is bad)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(f"{path.name}: unreadable ({exc})")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path.name}: not a JSON object")
        return None
    return data


def _label(value: str, missing: str = UNKNOWN) -> str:
    return value or missing


def summarize(index: CorpusIndex) -> Summary:
    problems = list(index.errors)
    out = index.out_dir
    manifest = load_json(out / MANIFEST_NAME, problems)
    stats = load_json(out / STATS_NAME, problems)
    kept, rejects = index.kept, index.rejects
    langs = Counter(_label(s.lang) for s in kept.samples)
    domains = Counter(_label(s.domain) for s in kept.samples)
    reasons = Counter(_label(s.drop_reason, "(no reason)") for s in rejects.samples)
    score_names = sorted(kept.scores.names)
    summary = Summary(
        out_dir=out,
        manifest=manifest,
        stats=stats,
        funnels=build_funnels(stats) if stats else [],
        stages=stage_names(stats) if stats else [],
        documents=len(kept.samples),
        images=len(kept.image_bytes),
        words=sum(s.words for s in kept.samples),
        rejects=len(rejects.samples),
        reject_reasons=reasons.most_common(),
        languages=langs.most_common(),
        domains=domains.most_common(),
        n_domains=len(domains),
        score_names=score_names,
        problems=problems,
    )
    summary.charts = _charts(summary, kept)
    if stats:
        summary.run_errors = [str(e) for e in stats.get("errors") or []]
        partitions = stats.get("partitions")
        summary.partitions = partitions if isinstance(partitions, dict) else None
        summary.counters = sorted((str(k), v) for k, v in (stats.get("counts") or {}).items())
    if manifest and manifest.get("samples") is not None and manifest["samples"] != summary.documents:
        problems.append(f"manifest lists {manifest['samples']} samples "
                        f"but the shards hold {summary.documents}")
    return summary


def _charts(summary: Summary, kept: SubsetIndex) -> list[Chart]:
    charts = []
    for funnel in summary.funnels:
        if funnel.steps:
            items = [(step.reason, step.removed) for step in funnel.steps]
            charts.append(Chart(f"{funnel.unit} drops", bars_svg(items, f"{funnel.unit}: dropped, by reason",
                                                                  color=DROP_COLOR)))
    samples = kept.samples
    charts.append(Chart("words per document",
                        histogram_svg(linear_bins([s.words for s in samples], integer=True), "words per document")))
    charts.append(Chart("images per document",
                        histogram_svg(linear_bins([s.n_images_stored for s in samples], n=12, quantile=0.99,
                                                  integer=True),
                                      "images per document")))
    sized = [(w, h) for w, h in zip(kept.image_width, kept.image_height, strict=True) if w > 0 and h > 0]
    charts.append(Chart("image size", histogram_svg(
        linear_bins([max(w, h) for w, h in sized], integer=True), "image size: longest side (px)")))
    charts.append(Chart("image aspect ratio", histogram_svg(
        edge_bins([w / h for w, h in sized], ASPECT_EDGES, ASPECT_LABELS),
        "image aspect ratio (width:height)")))
    charts.append(Chart("image bytes", histogram_svg(
        linear_bins([n / 1024 for n in kept.image_bytes]), "stored image size (KiB)")))
    formats = Counter(f or UNKNOWN for f in kept.image_format).most_common()
    charts.append(Chart("image formats", bars_svg(formats, "image formats")))
    charts.append(Chart("languages", bars_svg(summary.languages[:TOP_LANGS], "languages (documents)")))
    charts.append(Chart("top domains", bars_svg(summary.domains[:TOP_DOMAINS],
                                                f"top {TOP_DOMAINS} domains (documents)")))
    for name in summary.score_names[:MAX_SCORE_CHARTS]:
        values = [v for v in (s.score(name) for s in samples) if v is not None]
        charts.append(Chart(f"score {name}", histogram_svg(linear_bins(values, quantile=1.0, from_zero=False),
                                                           f"score: {name}")))
    if summary.reject_reasons:
        charts.append(Chart("kept rejects", bars_svg(summary.reject_reasons, "kept rejects, by reason",
                                                     color=DROP_COLOR)))
    return charts
