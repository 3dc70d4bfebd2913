"""Where in the pipeline each drop reason happens, so the funnel reads in the order a page meets it.

`stats.json` counts drops by reason but not by stage, and reasons are plain strings that
stages add as they grow; so this module places a reason by its name: a table of the
pipeline's steps (source → extract → domain blocklist → text filters → image URL filter →
image fetch → decode → image filters → document rules → dedup), each with the name patterns of
the reasons it produces. Within the text filters, checks keep the order of the run's config (the order they
run in). A reason no pattern knows goes to the step its unit most often fails in (fetch for
images, filters for documents), and consequences (``*.in_dropped_doc``) come last.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

# (step, patterns) in pipeline order. Patterns are fnmatch globs over the full reason.
STEPS: list[tuple[str, tuple[str, ...]]] = [
    ("source", ("record.*", "archive.*")),
    ("extract", ("doc.not_html", "doc.html", "doc.empty", "doc.extract_*", "doc.page_too_large", "doc.too_deep",
                 "image.no_src", "image.data_uri", "image.bad_url", "image.bad_scheme", "image.hidden",
                 "image.tracking_pixel", "image.duplicate_in_page")),
    ("domain blocklist", ("doc.blocked_domain*", "image.blocked_domain*")),
    ("text filters", ("paragraph.*", "doc.no_text_left", "doc.words*", "doc.lang*", "doc.perplexity*",
                      "doc.pii*", "doc.repetition*", "doc.dup_*", "doc.top_ngram*")),
    ("image URL filter", ("image.banned_url_word*", "doc.banned_url_word*", "doc.url_*")),
    ("image fetch", ("image.robots*", "image.noai", "image.dns_*", "image.http_*", "image.timeout*",
                     "image.connection*", "image.ssrf*", "image.blocked*", "image.not_fetched", "image.redirect*",
                     "image.too_large", "image.internal_error*", "image.network*")),
    ("image decode", ("image.truncated", "image.undecodable", "image.decode*", "image.bomb*", "image.empty",
                      "image.too_many_*", "image.unsupported*")),
    ("image filters", ("image.tiny", "image.too_small", "image.min_*", "image.max_*", "image.*_below_min",
                       "image.*_above_max", "image.aspect*", "image.format*", "image.nsfw*", "doc.nsfw*")),
    ("document rules", ("doc.no_image_left", "doc.too_few_images", "doc.too_many_images", "doc.images*",
                        "doc.require_text", "doc.no_text")),
    ("dedup", ("*.duplicate*", "*.near_duplicate*", "*.dedup_*", "*.repeated_in_domain", "*.perceptual*",
               "*.image_set*")),
]
STEP_NAMES = [name for name, _ in STEPS]
CONSEQUENCE = "dropped with its document"
# Where a reason that no pattern knows most likely comes from, by unit.
FALLBACK = {"image": "image fetch", "doc": "text filters", "paragraph": "text filters", "record": "source"}
BOUND_SUFFIXES = ("_below_min", "_above_max")


def step_of(reason: str) -> str:
    """The pipeline step that produces `reason` (``doc.words_below_min`` -> ``text filters``)."""
    if reason.endswith(".in_dropped_doc"):
        return CONSEQUENCE
    for name, patterns in STEPS[:-1]:  # dedup last: "image.duplicate_in_page" is an extract reason
        if any(fnmatchcase(reason, p) for p in patterns):
            return name
    if any(fnmatchcase(reason, p) for p in STEPS[-1][1]):
        return STEPS[-1][0]
    return FALLBACK.get(reason.partition(".")[0], "other")


def _check_name(reason: str) -> str:
    why = reason.partition(".")[2]
    for suffix in BOUND_SUFFIXES:
        why = why.removesuffix(suffix)
    return why


def check_order(config: dict[str, Any] | None) -> dict[str, int]:
    """Text check name -> its rank in the run's config (paragraph and document checks run in that order)."""
    filters = (config or {}).get("filters") if isinstance(config, dict) else None
    order: dict[str, int] = {}
    if isinstance(filters, dict):
        for level in ("paragraph", "document"):
            checks = filters.get(level)
            if isinstance(checks, dict):
                for name in checks:
                    order.setdefault(str(name), len(order))
    return order


def pipeline_key(reason: str, count: int, checks: dict[str, int]) -> tuple[int, int, int, str]:
    """Sort key: pipeline step, then the check's place in the config, then the larger count."""
    step = step_of(reason)
    rank = STEP_NAMES.index(step) if step in STEP_NAMES else len(STEP_NAMES) + (step == CONSEQUENCE)
    check = checks.get(_check_name(reason), len(checks)) if step == "text filters" else 0
    if reason == "doc.no_text_left":
        check = -1  # paragraphs are judged before their document
    return rank, check, -count, reason
