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
from builder.inspect.corpus_index import REJECTS, CorpusIndex, SampleEntry, removal_records
from builder.inspect.original import original_label
from builder.inspect.query import SORTS, DocQuery, neighbours, paginate
from builder.inspect.summary import TOP_DOMAINS, Summary
from builder.inspect.text_search import (
    MAX_RESULTS,
    TextIndex,
    TextQueryError,
    document_text,
    removed_text,
    snippet,
)
from builder.shards.format import IMAGE_EXTS

MAX_DOMAIN_CHOICES = 500
CLIP_CHARS = 120  # a metadata value longer than this is clipped behind a toggle
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
    env.globals.update(first_image=first_image, top_domains=TOP_DOMAINS, clip=CLIP_CHARS)
    env.tests["web_url"] = _is_web_url
    return env


def first_image(entry: SampleEntry) -> str | None:
    """Member suffix of the sample's first stored image, for a thumbnail."""
    for suffix in entry.suffixes:
        if suffix.rpartition(".")[2] in IMAGE_EXTS:
            return suffix
    return None


def _page(template: str, summary: Summary, *, report: bool = False, **context: Any) -> str:
    context.setdefault("rejects_hint", rejects_hint(summary))
    return environment().get_template(template).render(
        report=report, out_name=summary.out_dir.name, has_rejects=summary.rejects > 0, s=summary, **context
    )


def render_dashboard(summary: Summary, *, report: bool = False, generated: str = "",
                     examples: list[Any] | None = None, reject_examples: list[Any] | None = None) -> str:
    return _page("report.html" if report else "dashboard.html", summary, report=report, generated=generated,
                 examples=examples or [], reject_examples=reject_examples or [])


def render_docs(index: CorpusIndex, summary: Summary, query: DocQuery, notes: list[str],
                select: Selector | None = None, text_index: TextIndex | None = None) -> str:
    try:
        found = select(query) if select else query.select(index, text_index)
    except TextQueryError as exc:
        notes.append(str(exc))
        found = []
    if query.text:
        notes.extend(_text_notes(text_index, len(found)))
        if text_index is not None and found and not query.sort and not _ranked(text_index, query):
            notes.append(f"more than {text_index.rank_limit:,} documents match: listed in shard order, "
                         "not by relevance (add words to rank them)")
    page = paginate(found, query.page)
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
    samples = {e.key: _json(index, e) for e in page.entries}  # titles and text live in the JSON, not the index
    titles = {k: str((d.get("metadata") or {}).get("title") or "") for k, d in samples.items()}
    snippets = {k: text_snippet(d, query.text) for k, d in samples.items()} if query.text else {}
    return _page("docs.html", summary, query=query, page=page, notes=notes, langs=langs, domains=domains,
                 score_names=score_names, reasons=reasons, removed_reasons=subset.removed.most_common(),
                 sorts=SORTS, titles=titles, snippets=snippets,
                 rejects_hint=rejects_hint(summary) if query.subset == REJECTS and not subset.samples else "")


def _ranked(text_index: TextIndex, query: DocQuery) -> bool:
    try:
        return text_index.ranked(query.subset, query.text)
    except TextQueryError:
        return True


def _text_notes(text_index: TextIndex | None, n_found: int) -> list[str]:
    if text_index is None:
        return ["text search is not available here"]
    notes = []
    if text_index.error:
        notes.append(text_index.error)
    elif not text_index.ready:
        notes.append(f"the text index is still being built: {text_index.indexed:,} of {text_index.total:,} "
                     "documents searched so far; reload for more")
    if n_found == 0 and not text_index.error:
        notes.append("no document holds all these words (whole words: add * for a prefix, tomato* finds tomatoes)")
    if n_found >= MAX_RESULTS:
        notes.append(f"showing the best {MAX_RESULTS:,} matches; add words to narrow the search")
    return notes


def _json(index: CorpusIndex, entry: SampleEntry) -> dict[str, Any]:
    try:
        data = index.read_json(entry)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def text_snippet(data: dict[str, Any], query: str) -> list[tuple[str, bool]]:
    """Where the query matched: in the kept text, else in the title or in what was removed (so labelled)."""
    for label, text in (("", document_text(data)), ("removed: ", removed_text(data)),
                        ("title: ", str((data.get("metadata") or {}).get("title") or ""))):
        parts = snippet(text, query)
        if parts:
            return ([(label, False)] if label else []) + parts
    return []


def rejects_hint(summary: Summary) -> str:
    """Why a run has no rejects to browse, and how to get them; empty when it has some."""
    if summary.rejects:
        return ""
    dropped = next((f.dropped for f in summary.funnels if f.unit == "doc"), 0)
    shards = ((summary.manifest or {}).get("config") or {}).get("shards") or {}
    if shards.get("keep_rejects") and not dropped:
        return "This run dropped no document, so there are no rejects to show."
    if shards.get("keep_rejects"):
        return ("This run was set to keep its rejects, but none are in rejects/ "
                "(written by an older loom, or the folder was removed).")
    lead = f"This run dropped {dropped:,} documents but kept none of them." if dropped else \
        "This run kept none of the documents it dropped."
    return (lead + " To browse what the filters dropped, with the reason for each, set "
            "shards.keep_rejects: true in the config and run it again.")


def document_nodes(data: dict[str, Any], entry: SampleEntry) -> list[dict[str, Any]]:
    """The sample's nodes in order, as the templates want them, with what was removed put back in place."""
    texts = data.get("texts") or []
    images = data.get("images") or []
    text_info = data.get("text_info") or [None] * len(texts)
    image_info = data.get("image_info") or [None] * len(texts)
    nodes: list[dict[str, Any]] = []
    for i, (text, image) in enumerate(zip(texts, images, strict=False)):
        if text is not None:
            info = (text_info[i] if i < len(text_info) else None) or {}
            nodes.append({"kind": "text", "removed": False, "text": text, "tag": info.get("tag", "p"),
                          "scores": info.get("scores") or {}})
        elif image is not None:
            info = (image_info[i] if i < len(image_info) else None) or {}
            ref = entry.member(str(image))
            nodes.append({
                "kind": "image",
                "removed": False,
                "member": str(image),
                "stored": ref is not None and str(image).rpartition(".")[2] in IMAGE_EXTS,
                "nbytes": ref.size if ref else 0,
                **{k: info.get(k) or "" for k in ("src", "width", "height", "format", "alt", "caption")},
                "scores": info.get("scores") or {},
                "extra": {k: v for k, v in info.items() if k not in CAPTION_KEYS},
            })
    removed = [_removed_node(r) for r in removal_records(data.get("removed"))]
    return merge_removed(nodes, removed) if removed else nodes


def _removed_node(record: dict[str, Any]) -> dict[str, Any]:
    position = record.get("position")
    return {
        "kind": "image" if record.get("kind") == "image" else "text",
        "removed": True,
        "reason": record["reason"],
        "text": record.get("text") if isinstance(record.get("text"), str) else None,
        "src": record.get("url") if isinstance(record.get("url"), str) else "",
        "position": position if isinstance(position, int) and not isinstance(position, bool) else None,
    }


def merge_removed(kept: list[dict[str, Any]], removed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kept and removed nodes in the order the page had them.

    A removal's ``position`` is its index among all the nodes as extracted, so walking the
    positions in order and filling the gaps with the kept nodes, in their order, rebuilds the
    page. A removal without a usable position goes at the end rather than being lost.
    """
    placed = sorted((r for r in removed if r["position"] is not None and r["position"] >= 0),
                    key=lambda r: r["position"])
    unplaced = [r for r in removed if r["position"] is None or r["position"] < 0]
    out: list[dict[str, Any]] = []
    k = i = 0
    while k < len(kept) or i < len(placed):
        if i < len(placed) and (placed[i]["position"] <= len(out) or k >= len(kept)):
            out.append(placed[i])
            i += 1
        else:
            out.append(kept[k])
            k += 1
    return out + unplaced


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
    try:
        results = select(query) if select else query.select(index)
    except TextQueryError:
        return None, None, -1, 0
    prev, nxt, position = neighbours(results, entry.key)
    return prev, nxt, position, len(results)


def render_doc(index: CorpusIndex, summary: Summary, entry: SampleEntry, query: DocQuery,
               select: Selector | None = None) -> str:
    data = index.read_json(entry)
    data = data if isinstance(data, dict) else {}
    prev, nxt, position, total = _neighbours(index, entry, query, select)
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    provenance = data.get("provenance") if isinstance(data.get("provenance"), dict) else {}
    nodes = document_nodes(data, entry)
    removed_counts = Counter(n["reason"] for n in nodes if n["removed"]).most_common()
    return _page("doc.html", summary, entry=entry, data=data, metadata=metadata, provenance=provenance,
                 nodes=nodes, removed_counts=removed_counts, original=original_label(provenance),
                 training=training_text(data), query=query, prev=prev, next=nxt, position=position,
                 total=total, shard=index.shard_name(entry))


def render_source(summary: Summary, entry: SampleEntry, original: Any) -> str:
    return _page("source.html", summary, entry=entry, original=original)


def render_error(summary: Summary, status: int, reason: str, message: str) -> str:
    return _page("error.html", summary, status=status, reason=reason, message=message)
