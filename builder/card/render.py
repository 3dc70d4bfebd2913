"""README.md: a Hugging Face dataset card written from the run itself.

The YAML header is what the Hub reads (`configs`, `language`, `size_categories`,
`task_categories`, `license: other` with `license_details`) plus a `loom:` block of the
figures, each taken from the run's own records: the manifest, stats.json and the shards.
`loom card OUT` writes it again for an existing output (after `loom rethreshold`, say).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from builder import __version__
from builder.card.config import CardConfig
from builder.card.scan import CorpusFacts, scan_shards
from builder.card.tokens import TokenCounter
from builder.errors import OutputError
from builder.shards.format import MANIFEST_NAME, STATS_NAME

CARD_NAME = "README.md"
RETHRESHOLD_STATS = "rethreshold_stats.json"
TOP_DOMAINS = 20
# (label, what matches a drop reason): the opt-out signals loom honours.
OPT_OUTS = (
    ("robots.txt", lambda r: "robots" in r),
    ("X-Robots-Tag / meta robots `noai`, `noimageai`", lambda r: r.endswith(".noai")),
    ("X-Robots-Tag `noindex`, `noimageindex`, `none`", lambda r: r.endswith(".noindex")),
    ("opt-out list (`images.fetch.optout_file`)", lambda r: r.endswith(".opted_out")),
)
_SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
          (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"))


def size_category(n: int) -> str:
    """The Hub's `size_categories` bucket of `n` documents."""
    return next((label for limit, label in _SIZES if n < limit), "n>1B")


def _read(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _n(value: int) -> str:
    return f"{value:,}"


def render_card(out_dir: str | Path) -> str:
    """The card of the loom output in `out_dir` (it must hold manifest.json)."""
    out = Path(out_dir)
    manifest = _read(out / MANIFEST_NAME)
    if manifest is None:
        raise OutputError(f"{out}: no {MANIFEST_NAME}: not a loom output (run `loom run` first)")
    stats = _read(out / STATS_NAME) or _read(out / RETHRESHOLD_STATS) or {}
    config = manifest.get("config") or {}
    card = CardConfig.model_validate(config.get("card") or {})
    counter = TokenCounter(card)
    facts = scan_shards(out, [s["name"] for s in manifest.get("shards") or []], counter)
    name = card.pretty_name or str(config.get("name") or out.name)
    header = _header(name, card, config, facts, counter, manifest)
    body = _body(name, card, config, facts, counter, manifest, stats)
    return "---\n" + yaml.safe_dump(header, sort_keys=False, allow_unicode=True) + "---\n\n" + body


def write_card(out_dir: str | Path) -> Path:
    """Write ``out_dir/README.md`` (atomically) and return its path."""
    path = Path(out_dir) / CARD_NAME
    text = render_card(out_dir)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _languages(facts: CorpusFacts, config: dict[str, Any]) -> list[str]:
    found = [lang for lang, _ in facts.languages.most_common() if lang != "unknown"]
    return found or list((config.get("filters") or {}).get("languages") or [])


def _header(name: str, card: CardConfig, config: dict[str, Any], facts: CorpusFacts, counter: TokenCounter,
            manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "pretty_name": name,
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": "*.tar"}]}],
        "language": _languages(facts, config),
        "size_categories": [size_category(facts.documents)],
        "task_categories": ["image-text-to-text"],
        "tags": ["interleaved", "multimodal", "webdataset", "loom"],
        "license": "other",
        "license_name": "web-content",
        "license_details": card.license_note,
        "loom": {
            "version": manifest.get("loom_version", __version__),
            "documents": facts.documents,
            "images": facts.images,
            "text_tokens": facts.text_tokens,
            "image_tokens": facts.image_tokens,
            "tokenizer": counter.name,
            "image_tokens_per_image": counter.per_image,
            "shards": len(manifest.get("shards") or []),
            "bytes": manifest.get("bytes", 0),
        },
    }


def _sources(config: dict[str, Any], facts: CorpusFacts) -> list[str]:
    lines = []
    for source in config.get("sources") or []:
        kind = source.get("type", "?")
        where = source.get("paths") or source.get("seeds") or source.get("urls") or []
        where = where if isinstance(where, list) else [where]
        shown = ", ".join(f"`{w}`" for w in where[:5]) + (f" and {len(where) - 5} more" if len(where) > 5 else "")
        lines.append(f"- `{kind}`: {shown or '(no paths)'}")
    if facts.sources:
        lines.append("")
        lines.append("Documents kept, by how they were read: "
                     + ", ".join(f"{k} {_n(v)}" for k, v in facts.sources.most_common()) + ".")
    if facts.first_fetched:
        lines.append(f"Crawl dates (provenance, fetch time): {facts.first_fetched} to {facts.last_fetched}.")
    else:
        lines.append("Crawl dates: the sources recorded no fetch times.")
    return lines


def _funnel(stats: dict[str, Any]) -> list[str]:
    balance = stats.get("balance") or {}
    drops = stats.get("drops") or {}
    if not balance:
        return ["No stats.json in this output: the funnel is unknown."]
    lines = [_table(("unit", "in", "out", "dropped"),
                    [(unit, _n(b["in"]), _n(b["out"]), _n(b["dropped"])) for unit, b in balance.items()]), ""]
    if drops:
        rows = sorted(drops.items(), key=lambda kv: (kv[0].split(".")[0], -kv[1]))
        lines += ["Every drop, by reason (`<unit>.<reason>`):", "", _table(("reason", "count"),
                                                                          [(f"`{r}`", _n(n)) for r, n in rows])]
    counts = stats.get("counts") or {}
    pii = {k: v for k, v in counts.items() if k.startswith("pii.")}
    if pii:
        lines += ["", "Personal data replaced by placeholders: "
                  + ", ".join(f"`{k}` {_n(v)}" for k, v in sorted(pii.items())) + "."]
    return lines


def _opt_outs(config: dict[str, Any], stats: dict[str, Any]) -> list[str]:
    drops = stats.get("drops") or {}
    images = config.get("images") or {}
    policy, fetch = images.get("policy") or {}, images.get("fetch") or {}
    honoured = {
        "robots.txt": bool((fetch.get("robots") or {}).get("obey", True)),
        "X-Robots-Tag / meta robots `noai`, `noimageai`": bool(policy.get("x_robots_tag", True)
                                                              or policy.get("meta_robots", True)),
        "X-Robots-Tag `noindex`, `noimageindex`, `none`": bool(policy.get("noindex_blocks", True)),
        "opt-out list (`images.fetch.optout_file`)": bool(fetch.get("optout_file")),
    }
    rows = []
    for label, matches in OPT_OUTS:
        n = sum(v for reason, v in drops.items() if matches(reason))
        rows.append((label, "yes" if honoured[label] else "no", _n(n)))
    token = fetch.get("robots_token") or "loombot"
    lines = [f"loom fetches as `{token}` and honours these signals; the counts are the items they removed.", "",
             _table(("signal", "honoured", "removed"), rows)]
    if images.get("enabled", True) is False:
        lines += ["", "Images were not fetched in this run (`images.enabled: false`)."]
    return lines


def _images_per_doc(facts: CorpusFacts) -> list[str]:
    if not facts.documents:
        return ["No documents."]
    rows = [(k, _n(v)) for k, v in sorted(facts.images_per_doc.items())]
    mean = facts.images / facts.documents
    return [f"{mean:.2f} images per document on average.", "", _table(("images", "documents"), rows)]


def _body(name: str, card: CardConfig, config: dict[str, Any], facts: CorpusFacts, counter: TokenCounter,
          manifest: dict[str, Any], stats: dict[str, Any]) -> str:
    version = manifest.get("loom_version", __version__)
    if counter.name == "whitespace":
        tokenizer = ("whitespace-separated words (a proxy: no Idefics2 tokenizer was on this machine; a BPE "
                     "tokenizer gives more tokens than words)")
    else:
        tokenizer = f"`{counter.name}`"
    split = " with image splitting" if card.image_splitting else ""
    parts = [
        f"# {name}", "",
        f"Interleaved image-text documents (OBELICS-style: texts and images in reading order), built with "
        f"loom {version}. Each sample is one web page.", "",
        "## Size", "",
        _table(("documents", "images", "text tokens", "image tokens", "shards", "bytes"),
               [(_n(facts.documents), _n(facts.images), _n(facts.text_tokens), _n(facts.image_tokens),
                 _n(len(manifest.get("shards") or [])), _n(int(manifest.get("bytes") or 0)))]), "",
        f"Text tokens: {tokenizer}. Image tokens: {counter.per_image} per image, as Idefics2 counts them"
        f"{split}. Per document: `metadata.tokens`.", "",
        "## Sources", "", *_sources(config, facts), "",
        "## Filter funnel", "", *_funnel(stats), "",
        "## Languages", "",
        _table(("language", "documents"), [(k, _n(v)) for k, v in facts.languages.most_common()]), "",
        f"## Domains (top {TOP_DOMAINS} of {_n(len(facts.domains))})", "",
        _table(("domain", "documents"), [(k, _n(v)) for k, v in facts.domains.most_common(TOP_DOMAINS)]), "",
        "## Images per document", "", *_images_per_doc(facts), "",
        "## Opt-outs honoured", "", *_opt_outs(config, stats), "",
        "## How to load", "",
        "WebDataset (one sample per page: `KEY.json` and the images `KEY.0.jpg`, ... in reading order):", "",
        "```python", "import webdataset as wds",
        'ds = wds.WebDataset("*.tar").decode("pil")  # or the shard list in manifest.json',
        "for sample in ds:",
        '    doc = sample["json"]  # texts[i] / images[i]: one of the two at each position', "```", "",
        "Parquet with OBELICS's columns and the image bytes:", "",
        "```bash", "loom export parquet . parquet/", "```", "",
        "```python", "import datasets",
        'ds = datasets.load_dataset("parquet", data_files="parquet/*.parquet", split="train")', "```", "",
        "## Licence", "", card.license_note, "",
        "## How it was built", "",
        f"loom {version}; shard format {manifest.get('format', 'loom-webdataset')} "
        f"{manifest.get('format_version', '?')}.{manifest.get('format_minor_version', 0)}. "
        "The config as the run understood it:", "",
        "```yaml", yaml.safe_dump(config, sort_keys=False, allow_unicode=True).rstrip(), "```", "",
    ]
    if facts.unreadable:
        parts += ["## Problems", "", *[f"- {p}" for p in facts.unreadable], ""]
    return "\n".join(parts)
