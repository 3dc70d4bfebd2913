"""Everything the dashboard shows, computed once from the index, `stats.json` and the manifest."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from builder.inspect.corpus_index import CorpusIndex, SubsetIndex
from builder.inspect.funnel import Funnel, build_funnels, stage_names
from builder.inspect.query import UNKNOWN
from builder.inspect.svg import DROP_COLOR, Marker, bars_svg, count_into, edge_bins, histogram_svg, linear_bins
from builder.inspect.thresholds import score_thresholds
from builder.shards.format import MANIFEST_NAME, STATS_NAME

TOP_DOMAINS = 20
TOP_LANGS = 15
MAX_SCORE_CHARTS = 16
VALIDATION_HTML = "validation/report.html"
VALIDATION_JSON = "validation/report.json"
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
    validation: Validation | None = None  # validation/report.json, when the run validated
    reason_links: dict[str, str] = field(default_factory=dict)  # drop reason -> documents that show it

    @property
    def config(self) -> dict[str, Any]:
        config = (self.manifest or {}).get("config")
        return config if isinstance(config, dict) else {}


@dataclass
class Validation:
    status: str  # "passed", "failed" or "skipped"
    summary: str  # one line: which checks failed, or why it was skipped
    has_html: bool  # validation/report.html exists


def load_validation(out: Path, problems: list[str]) -> Validation | None:
    """The outcome of `loom validate` recorded in the folder, or None when it did not run."""
    report = load_json(out / VALIDATION_JSON, problems)
    has_html = (out / VALIDATION_HTML).is_file()
    if report is None:
        return Validation("unknown", "validation/report.json missing", True) if has_html else None
    checks = [c for c in report.get("checks") or [] if isinstance(c, dict)]
    skipped = [c for c in checks if c.get("skipped")]
    failed = [str(c.get("name")) for c in checks if c.get("ok") is False and not c.get("skipped")]
    failed = failed or [str(n) for n in report.get("failed_checks") or []]
    if report.get("skipped") or (checks and len(skipped) == len(checks)):
        why = report.get("reason") or report.get("skip_reason") or next(
            (c.get("summary") for c in skipped if c.get("summary")), "")
        return Validation("skipped", str(why or "validation could not run"), has_html)
    if failed or report.get("ok") is False:
        return Validation("failed", "failed: " + ", ".join(failed) if failed else "failed", has_html)
    note = f"{len(checks) - len(skipped)} checks passed" + (f", {len(skipped)} skipped" if skipped else "")
    return Validation("passed", note, has_html)


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
        funnels=build_funnels(stats, (manifest or {}).get("config")) if stats else [],
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
    summary.validation = load_validation(out, problems)
    summary.reason_links = _reason_links(summary, kept, rejects)
    summary.charts = _charts(summary, kept, rejects)
    if stats:
        summary.run_errors = [str(e) for e in stats.get("errors") or []]
        partitions = stats.get("partitions")
        summary.partitions = partitions if isinstance(partitions, dict) else None
        summary.counters = sorted((str(k), v) for k, v in (stats.get("counts") or {}).items())
    if manifest and manifest.get("samples") is not None and manifest["samples"] != summary.documents:
        problems.append(f"manifest lists {manifest['samples']} samples "
                        f"but the shards hold {summary.documents}")
    return summary


def _reason_links(summary: Summary, kept: SubsetIndex, rejects: SubsetIndex) -> dict[str, str]:
    """For each drop reason, the documents that show it: the rejects it dropped, or the documents
    that lost a paragraph or image to it (kept ones first)."""
    links = {}
    dropped = {reason for reason, _ in summary.reject_reasons}
    for funnel in summary.funnels:
        for step in funnel.steps:
            reason = quote(step.reason, safe="")
            if step.reason in dropped:
                links[step.reason] = f"/docs?subset=rejects&reason={reason}"
            elif kept.removed.get(step.reason):
                links[step.reason] = f"/docs?removed={reason}"
            elif rejects.removed.get(step.reason):
                links[step.reason] = f"/docs?subset=rejects&removed={reason}"
    return links


def _is_integral(values: list[float], thresholds: list[float]) -> bool:
    """Whole-number scores (words, images): every value and threshold whole, and not just 0s and 1s (ratios)."""
    return (bool(values) and max(values) > 1 and all(float(v).is_integer() for v in values)
            and all(float(t).is_integer() for t in thresholds))


def _score_chart(name: str, kept: SubsetIndex, rejects: SubsetIndex, config: dict[str, Any]) -> Chart:
    """A score's histogram: kept and rejected documents side by side, the run's thresholds drawn."""
    values = [v for v in (s.score(name) for s in kept.samples) if v is not None]
    dropped = [v for v in (s.score(name) for s in rejects.samples) if v is not None]
    both = values + dropped
    thresholds = score_thresholds(name, config)
    lo, hi = (min(both), max(both)) if both else (0.0, 0.0)
    # widen the range to a threshold only when it is near the data (else it is drawn at the edge, with
    # an arrow); when every value is the same, the thresholds are what gives the chart a scale
    reach = max(hi - lo, abs(hi) * 0.5) if hi > lo else float("inf")
    near = [t.value for t in thresholds if lo - reach <= t.value <= hi + reach]
    integral = _is_integral(both, near)
    bins = linear_bins(values or dropped, quantile=1.0, from_zero=False, integer=integral,
                       include=near + (dropped if values else []))
    markers = [Marker(t.value, t.label, t.side) for t in thresholds]
    title = f"score: {name}"
    if not rejects.samples:
        return Chart(f"score {name}", histogram_svg(bins, title, markers=markers))
    if not values:  # only rejects carry this score
        return Chart(f"score {name}", histogram_svg(bins, f"{title} (rejected documents only)", color=DROP_COLOR,
                                                    markers=markers))
    return Chart(f"score {name}", histogram_svg(
        bins, title, second=count_into(bins, dropped), markers=markers,
        legend=(f"kept ({len(values):,})", f"rejected, kept sample ({len(dropped):,})")))


def _charts(summary: Summary, kept: SubsetIndex, rejects: SubsetIndex) -> list[Chart]:
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
    names = sorted(set(kept.scores.names) | set(rejects.scores.names))
    for name in names[:MAX_SCORE_CHARTS]:
        charts.append(_score_chart(name, kept, rejects, summary.config))
    if summary.reject_reasons:
        charts.append(Chart("kept rejects", bars_svg(summary.reject_reasons, "kept rejects, by reason",
                                                     color=DROP_COLOR)))
    return charts
