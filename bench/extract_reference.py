"""Images scored against Mozilla Readability.js on real pages that have no image gold of their own.

    python bench/extract_reference.py            # needs ../shared/corpus, ../shared/eval, node + npm
    python bench/extract_reference.py --diff     # also: missed / extra images per TUNE page

Set a's gold (readability test pages, `expected.html`) is what Readability.js outputs, and the
hidden set is more pages of those kinds. So Readability.js (pinned in bench/readability_ref) is run
over the trafilatura (503) and newspaper4k (30) pages, and loom and trafilatura are scored against
the images it keeps, exactly as ../shared/eval/extraction/score.py scores set a (its gold_img_urls,
match_images and aggregate are imported at run time). Pages are split into two halves by a stable
hash of their name: `tune` (study it, --diff prints it) and `held` (the figure reported; do not
study it page by page). Caveat: the gold is one library's choice, not a human's.

Before that, the oracle is validated on the 63 set-a pages (its images vs expected.html) and
compared with the hand-labelled pages of tests/data/extract_gold_images. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
EVAL = SHARED / "eval" / "extraction"
TRAF_CACHE = Path.home() / ".cache" / "loom" / "extract_reference"

from bench import readability_oracle as oracle  # noqa: E402
from builder.extract import ExtractRejected, extract_document  # noqa: E402

Nodes = list[dict]


@dataclass(frozen=True)
class RefPage:
    set: str  # "a" (readability test pages), "c" (trafilatura), "n" (newspaper4k)
    name: str
    path: Path
    url: str

    @property
    def id(self) -> str:
        return f"{self.set}/{self.name}"

    @property
    def half(self) -> str:
        digest = hashlib.sha256(f"extract_reference/{self.name}".encode()).digest()
        return "held" if digest[0] & 1 else "tune"


def _shared():
    """The dev scorer's modules (corpus, score), imported from ../shared at run time."""
    if not (EVAL / "score.py").is_file() or not CORPUS.is_dir():
        sys.exit(f"extract_reference: needs {EVAL} and {CORPUS}")
    sys.path.insert(0, str(EVAL))
    import corpus
    import score

    return corpus, score


_CANONICAL = re.compile(
    rb"""<link[^>]+rel=["']?canonical["']?[^>]*href=["']?(https?://[^"'\s>]+)|"""
    rb"""<meta[^>]+property=["']?og:url["']?[^>]*content=["']?(https?://[^"'\s>]+)""", re.I)


def load_pages(corpus) -> list[RefPage]:
    """Set a and c with the URLs of the dev scorer's splits.tsv; newspaper4k with its metadata URL,
    else the page's own canonical / og:url link (pages with neither are left out)."""
    pages = [RefPage(p.set, p.name, CORPUS / p.path, p.url) for p in corpus.load_pages(corpus.SPLITS)]
    n4k = CORPUS / "html" / "newspaper4k"
    for html in sorted((n4k / "html").glob("*.html")):
        meta = n4k / "metadata" / f"{html.stem}.json"
        url = (json.loads(meta.read_text(encoding="utf-8")).get("url") or "") if meta.is_file() else ""
        if not url.startswith("http") and (m := _CANONICAL.search(html.read_bytes()[:200_000])):
            url = (m.group(1) or m.group(2)).decode("ascii", "replace")
        if url.startswith("http"):
            pages.append(RefPage("n", html.stem, html, url))
    return pages


def page_bytes(page: RefPage) -> bytes:
    import gzip

    raw = page.path.read_bytes()
    return gzip.decompress(raw) if page.path.name.endswith(".gz") else raw


# ---------------------------------------------------------------- extractors -> nodes

def loom_nodes(body: bytes, url: str) -> Nodes:
    try:
        doc = extract_document(body, url)
    except ExtractRejected:
        return []
    return [{"type": "image", "src": n.src} if n.type == "image" else {"type": "text", "text": n.text}
            for n in doc.nodes]


def trafilatura_nodes(body: bytes, url: str, corpus) -> Nodes:
    """trafilatura with include_images (as bench/extract_labelled.py), cached: it does not change."""
    import trafilatura
    from lxml import etree

    key = hashlib.sha256(body + b"\0" + url.encode()).hexdigest()
    path = TRAF_CACHE / f"trafilatura-{key}-{trafilatura.__version__}.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    xml = trafilatura.extract(body, url=url, output_format="xml", include_images=True)
    nodes: Nodes = []
    if xml:
        for kind, v in corpus.walk(etree.fromstring(xml.encode())):
            if kind == "text":
                nodes.append({"type": "text", "text": v})
            elif v.get("src"):
                nodes.append({"type": "image", "src": v.get("src")})
    TRAF_CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nodes, ensure_ascii=False), encoding="utf-8")
    return nodes


# ---------------------------------------------------------------- oracle gold and scoring

def oracle_tree(content: str):
    from lxml import html

    return html.fromstring(f"<div>{content}</div>")


def oracle_gold(content: str, url: str, corpus, score) -> list[tuple[str, object]]:
    """("text", tokens) / ("image", url set) in order, as score.gold reads expected.html."""
    seq: list[tuple[str, object]] = []
    for kind, v in corpus.walk(oracle_tree(content)):
        if kind == "text":
            seq.append(("text", score.tokens(v)))
        elif urls := score.gold_img_urls(v, url):
            seq.append(("image", urls))
    return seq


def oracle_nodes(content: str, corpus) -> Nodes:
    """The oracle's article as a prediction (one URL per image, as a simple converter picks it)."""
    nodes: Nodes = []
    for kind, v in corpus.walk(oracle_tree(content)):
        if kind == "text":
            nodes.append({"type": "text", "text": v})
        elif src := corpus.img_url(v.attrib):
            nodes.append({"type": "image", "src": src})
    return nodes


def score_row(gold_seq, nodes: Nodes, url: str, corpus, score) -> dict:
    """One page as score.score_page scores set a, with the oracle's article as the gold."""
    gold_tokens = [t for kind, v in gold_seq if kind == "text" for t in v]
    pimgs = [u for u in (corpus.norm_url(n["src"], url) for n in nodes if n["type"] == "image") if u]
    gsets = [v for kind, v in gold_seq if kind == "image"]
    m = score.match_images(pimgs, gsets)
    return {"set": "a", "failed": False, "text": score.prf(score.tokens(score.text_of(nodes)), gold_tokens),
            "img": (len(m), len(pimgs), len(gsets)), "order": score.order_pairs(m),
            "ctx": score.ctx_checks(gold_seq, nodes, m, url), "matches": m, "pred": pimgs, "gold": gsets}


SAME_ARTICLE = 0.8  # text F1 against Readability.js's article at which both chose the same article

COLS = [("img_P", "imgP"), ("img_R", "imgR"), ("img_F", "imgF1"), ("img_none", "img0"),
        ("img_order", "order"), ("img_ctx", "ctx"), ("a_text_F", "tF1")]


def line(name: str, rows: list[dict], score) -> tuple[str, dict]:
    agg = score.aggregate(rows)
    with_img = sum(1 for r in rows if r["img"][2])
    cells = " ".join(f"{h} {'-' if agg.get(k) is None else format(agg[k], '.3f')}" for k, h in COLS)
    return (f"  {name:<12} pages {len(rows):3d} ({with_img} with images, {len(rows) - with_img} image-free)"
            f"  {cells}"), agg


# ---------------------------------------------------------------- diff (tune half only)

def _label(el) -> str:
    tag = el.tag if isinstance(el.tag, str) else "?"
    cls = ".".join((el.get("class") or "").split()[:3])
    ident = el.get("id")
    return tag + (f".{cls}" if cls else "") + (f"#{ident}" if ident else "")


def _source_index(body: bytes, url: str, corpus, score) -> dict[str, object]:
    """Every URL key (exact, host+path, file name) of the page's <img> -> the first such element."""
    from lxml import html

    index: dict[str, object] = {}
    try:
        root = html.fromstring(corpus.decode(body))
    except Exception:  # an unparsable page only loses its diff context
        return index
    for img in root.iter("img"):
        for u in score.gold_img_urls(img, url):
            for k in score._keys(u):
                index.setdefault(k, img)
    return index


def _describe(url_or_set, index) -> str:
    urls = sorted(url_or_set) if isinstance(url_or_set, set) else [url_or_set]
    el = None
    for u in urls:
        for k in reversed(_keys_of(u)):
            el = index.get(k) if el is None else el
    shown = urls[0] if len(urls[0]) <= 110 else urls[0][:107] + "..."
    if el is None:
        return f"{shown}\n        (not an <img> of the page source)"
    chain = []
    node = el.getparent()
    while node is not None and len(chain) < 7 and node.tag not in ("body", "html"):
        chain.append(_label(node))
        node = node.getparent()
    size = f"{el.get('width') or '?'}x{el.get('height') or '?'}"
    alt = (el.get("alt") or "").strip()[:50]
    return f"{shown}\n        {' < '.join(chain)}  size {size}  alt {alt!r}"


_KEYS: Callable[[str], tuple[str, str, str]] | None = None


def _keys_of(url: str) -> tuple[str, str, str]:
    assert _KEYS is not None
    return _KEYS(url)


def print_diff(page: RefPage, row: dict, body: bytes, corpus, score) -> None:
    matched_g = {i for i, _ in row["matches"]}
    matched_p = {j for _, j in row["matches"]}
    missed = [g for i, g in enumerate(row["gold"]) if i not in matched_g]
    extra = [p for j, p in enumerate(row["pred"]) if j not in matched_p]
    if not missed and not extra:
        return
    index = _source_index(body, page.url, corpus, score)
    m, npred, ngold = row["img"]
    print(f"\n## {page.id}  ({page.url})  gold {ngold}  loom {npred}  matched {m}")
    for g in missed:
        print(f"  MISSED {_describe(g, index)}")
    for p in extra:
        print(f"  EXTRA  {_describe(p, index)}")


# ---------------------------------------------------------------- main

def validate(pages: list[RefPage], results: dict[str, dict], corpus, score) -> None:
    """The oracle against expected.html on set a: close to 1.0 if it reproduces the gold's maker."""
    rows, differ = [], []
    for p in pages:
        res = results[p.id]
        nodes = oracle_nodes(res.get("content") or "", corpus)
        cp = corpus.Page("dev", "a", p.name, str(p.path.relative_to(CORPUS)), p.url)
        row = score.score_page(str(CORPUS), cp, {"nodes": nodes})
        rows.append(row)
        m, npred, ngold = row["img"]
        if m != npred or m != ngold:
            differ.append(f"{p.name} (oracle {npred}, expected {ngold}, matched {m})")
    agg = score.aggregate(rows)
    print(f"oracle vs expected.html on set a ({len(rows)} pages): imgP {agg['img_P']:.3f}  "
          f"imgR {agg['img_R']:.3f}  imgF1 {agg['img_F']:.3f}  img0 {agg['img_none']:.3f}  "
          f"aF1 {agg['a_text_F']:.3f}  (images {agg['img_gold']} gold, {agg['img_pred']} oracle)")
    for d in differ:
        print(f"  differs: {d}")


def labelled_agreement(results_by_path: dict[str, dict], corpus) -> None:
    from tests.support.image_gold import load_gold, score

    gold = [g for g in load_gold() if g["path"] in results_by_path]
    preds = {g["name"]: [n["src"] for n in oracle_nodes(results_by_path[g["path"]].get("content") or "", corpus)
                         if n["type"] == "image"] for g in gold}
    print("oracle vs hand-labelled pages (tests/data/extract_gold_images):")
    print("  " + score(preds, gold).line("readability"))


def main(argv: list[str] | None = None) -> None:
    global _KEYS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--diff", action="store_true", help="print missed/extra images of the TUNE half")
    ap.add_argument("--no-trafilatura", action="store_true", help="score loom only")
    a = ap.parse_args(argv)
    corpus, score = _shared()
    _KEYS = score._keys
    try:
        version = oracle.ensure_installed()
    except oracle.OracleUnavailable as exc:
        sys.exit(f"extract_reference: {exc}")
    pages = load_pages(corpus)
    texts = {p.id: corpus.decode(page_bytes(p)) for p in pages}
    t0 = time.time()
    results = dict(oracle.run(((p.id, texts[p.id], p.url) for p in pages), version))
    print(f"Readability.js {version}: {len(pages)} pages ({time.time() - t0:.0f} s, cached under {oracle.CACHE})")
    failed = [pid for pid, r in results.items() if "error" in r]
    for pid in failed:
        print(f"  oracle error on {pid}: {results[pid]['error'][:200]}")

    validate([p for p in pages if p.set == "a"], results, corpus, score)
    labelled_agreement({str(p.path.relative_to(CORPUS)): results[p.id] for p in pages if p.set == "c"}, corpus)

    scored = [p for p in pages if p.set != "a" and "error" not in results[p.id]]
    no_article = [p for p in scored if not results[p.id].get("content")]
    scored = [p for p in scored if results[p.id].get("content")]
    print(f"reference pages: {len(scored)} scored, {len(no_article)} where Readability.js finds no article "
          f"(left out), {len(failed)} oracle errors")
    extractors: dict[str, Callable[[bytes, str], Nodes]] = {"loom": loom_nodes}
    if not a.no_trafilatura:
        try:
            import trafilatura  # noqa: F401

            extractors["trafilatura"] = lambda body, url: trafilatura_nodes(body, url, corpus)
        except ImportError:
            print("trafilatura is not installed: loom only")
    golds = {p.id: oracle_gold(results[p.id]["content"], p.url, corpus, score) for p in scored}
    rows: dict[str, dict[str, dict]] = {name: {} for name in extractors}
    for p in scored:
        body = page_bytes(p)
        for name, fn in extractors.items():
            rows[name][p.id] = score_row(golds[p.id], fn(body, p.url), p.url, corpus, score)
    figures: dict[str, dict[str, dict]] = {}
    for half in ("tune", "held"):
        ids = [p.id for p in scored if p.half == half]
        print(f"{half} half ({len(ids)} pages), scored against Readability.js:")
        for name in extractors:
            text, agg = line(name, [rows[name][i] for i in ids], score)
            figures.setdefault(half, {})[name] = agg
            print(text)
        # Set a's pages are ones where Readability.js finds the article well. The pages where
        # loom's text matches Readability.js's (text F1 >= SAME_ARTICLE) are the closest view of
        # that: loom and Readability.js chose the same article, so only image rules differ.
        same = [i for i in ids if rows["loom"][i]["text"][2] >= SAME_ARTICLE]
        text, agg = line("loom", [rows["loom"][i] for i in same], score)
        figures[half]["loom_same_article"] = agg
        print(f"  of which loom's text matches Readability.js's (text F1 >= {SAME_ARTICLE}):")
        print(text)
    if a.diff:
        print("\n# TUNE half: images loom missed / added against Readability.js")
        for p in scored:
            if p.half == "tune":
                print_diff(p, rows["loom"][p.id], page_bytes(p), corpus, score)
    held, tune = figures["held"], figures["tune"]
    base = held.get("trafilatura")

    def r3(x: float | None) -> float | None:
        return None if x is None else round(x, 3)

    print(json.dumps({
        "bench": "extract_reference", "unit": "imgF1 (held half)", "loom": r3(held["loom"]["img_F"]),
        "baseline": r3(base["img_F"]) if base else None,
        "ratio": r3(held["loom"]["img_F"] / base["img_F"]) if base and base["img_F"] else None,
        "baseline_name": "trafilatura", "readability": version,
        "loom_imgP": r3(held["loom"]["img_P"]), "loom_imgR": r3(held["loom"]["img_R"]),
        "loom_img0": r3(held["loom"]["img_none"]),
        "loom_same_article": {k: r3(held["loom_same_article"][c]) for k, c in
                              (("imgF1", "img_F"), ("imgR", "img_R"), ("img0", "img_none"))},
        "tune": {name: {"imgF1": r3(agg["img_F"]), "imgR": r3(agg["img_R"]), "img0": r3(agg["img_none"])}
                 for name, agg in tune.items() if name != "loom_same_article"},
    }))


if __name__ == "__main__":
    main()
