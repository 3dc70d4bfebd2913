"""HTML pages of the viewer and the report, from autoescaped Jinja templates.

Everything shown comes from crawled pages, so nothing is marked safe except the charts
(built by builder.inspect.svg, which escapes its own labels).
"""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from typing import Any, Callable

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from builder.document import Document
from builder.inspect.corpus_index import REJECTS, CorpusIndex, SampleEntry
from builder.inspect.query import SORTS, DocQuery, neighbours, paginate
from builder.inspect.summary import TOP_DOMAINS, Summary
from builder.shards.format import IMAGE_EXTS

MAX_DOMAIN_CHOICES = 500
Selector = Callable[[DocQuery], "list[SampleEntry]"]  # a (cached) DocQuery.select
# image_info keys shown in the caption; the rest go into the "image info" details.
CAPTION_KEYS = {"src", "width", "height", "format", "alt", "caption", "scores"}


def _num(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _size(nbytes: Any) -> str:
    n = float(nbytes or 0)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def _score(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _is_web_url(value: Any) -> bool:
    """Only http(s) URLs become links: a crawled ``javascript:`` or ``data:`` URL stays text."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("builder.inspect", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=_num, size=_size, score=_score, pretty=_pretty)
    env.globals.update(first_image=first_image, top_domains=TOP_DOMAINS)
    env.tests["web_url"] = _is_web_url
    return env


def first_image(entry: SampleEntry) -> str | None:
    """Member suffix of the sample's first stored image, for a thumbnail."""
    for suffix in entry.suffixes:
        if suffix.rpartition(".")[2] in IMAGE_EXTS:
            return suffix
    return None


def _page(template: str, summary: Summary, *, report: bool = False, **context: Any) -> str:
    return environment().get_template(template).render(
        report=report, out_name=summary.out_dir.name, has_rejects=summary.rejects > 0, s=summary, **context
    )


def render_dashboard(summary: Summary, *, report: bool = False, generated: str = "",
                     examples: list[Any] | None = None, reject_examples: list[Any] | None = None) -> str:
    return _page("report.html" if report else "dashboard.html", summary, report=report, generated=generated,
                 examples=examples or [], reject_examples=reject_examples or [])


def render_docs(index: CorpusIndex, summary: Summary, query: DocQuery, notes: list[str],
                select: Selector | None = None) -> str:
    page = paginate(select(query) if select else query.select(index), query.page)
    subset = index.subset(query.subset)
    if query.subset == REJECTS:
        langs = Counter(e.lang for e in subset.samples if e.lang).most_common()
        domains = Counter(e.domain for e in subset.samples if e.domain).most_common(MAX_DOMAIN_CHOICES)
        score_names = sorted(subset.scores.names)
        reasons = summary.reject_reasons
    else:
        langs = summary.languages  # "(unknown)" included: it selects documents without a language
        domains = summary.domains[:MAX_DOMAIN_CHOICES]
        score_names = summary.score_names
        reasons = []
    titles = {e.key: _title(index, e) for e in page.entries}  # titles live in the JSON, not the index
    return _page("docs.html", summary, query=query, page=page, notes=notes, langs=langs, domains=domains,
                 score_names=score_names, reasons=reasons, sorts=SORTS, titles=titles)


def _title(index: CorpusIndex, entry: SampleEntry) -> str:
    try:
        return str((index.read_json(entry).get("metadata") or {}).get("title") or "")
    except (OSError, ValueError):
        return ""


def document_nodes(data: dict[str, Any], entry: SampleEntry) -> list[dict[str, Any]]:
    """The sample's nodes in order, as the templates want them."""
    texts = data.get("texts") or []
    images = data.get("images") or []
    text_info = data.get("text_info") or [None] * len(texts)
    image_info = data.get("image_info") or [None] * len(texts)
    nodes: list[dict[str, Any]] = []
    for i, (text, image) in enumerate(zip(texts, images, strict=False)):
        if text is not None:
            info = (text_info[i] if i < len(text_info) else None) or {}
            nodes.append({"kind": "text", "text": text, "tag": info.get("tag", "p"),
                          "scores": info.get("scores") or {}})
        elif image is not None:
            info = (image_info[i] if i < len(image_info) else None) or {}
            ref = entry.member(str(image))
            nodes.append({
                "kind": "image",
                "member": str(image),
                "stored": ref is not None and str(image).rpartition(".")[2] in IMAGE_EXTS,
                "nbytes": ref.size if ref else 0,
                **{k: info.get(k) or "" for k in ("src", "width", "height", "format", "alt", "caption")},
                "scores": info.get("scores") or {},
                "extra": {k: v for k, v in info.items() if k not in CAPTION_KEYS},
            })
    return nodes


def training_text(data: dict[str, Any]) -> str | None:
    """The sample as the model's processor reads it: texts with ``<image>`` where images go."""
    try:
        from builder.train.render import render_plain
    except ImportError:
        return None
    try:
        return render_plain(Document.from_dict(data).nodes)
    except (ValueError, KeyError, TypeError):  # a malformed sample still gets its page
        return None


def _neighbours(index: CorpusIndex, entry: SampleEntry, query: DocQuery,
                select: Selector | None) -> tuple[SampleEntry | None, SampleEntry | None, int, int]:
    if query.subset != entry.subset:
        return None, None, -1, 0
    samples = index.subset(entry.subset).samples
    if query.unfiltered:  # the common case needs no scan of the whole corpus
        pos = entry.pos
        return (samples[pos - 1] if pos > 0 else None,
                samples[pos + 1] if pos + 1 < len(samples) else None, pos, len(samples))
    results = select(query) if select else query.select(index)
    prev, nxt, position = neighbours(results, entry.key)
    return prev, nxt, position, len(results)


def render_doc(index: CorpusIndex, summary: Summary, entry: SampleEntry, query: DocQuery,
               select: Selector | None = None) -> str:
    data = index.read_json(entry)
    prev, nxt, position, total = _neighbours(index, entry, query, select)
    return _page("doc.html", summary, entry=entry, data=data, nodes=document_nodes(data, entry),
                 training=training_text(data), query=query, prev=prev, next=nxt, position=position,
                 total=total, shard=index.shard_name(entry))


def render_error(summary: Summary, status: int, reason: str, message: str) -> str:
    return _page("error.html", summary, status=status, reason=reason, message=message)
