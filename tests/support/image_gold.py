"""Scoring predicted image URLs against the hand-labelled gold of tests/data/extract_gold_images.

Matching as ../shared/eval/extraction/score.py does it, one-to-one in three passes: the same
normalised URL, else the same host+path (query ignored), else the same file name (when only
one gold image has it). Per page: precision, recall; image-free pages count for img0.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

GOLD = Path(__file__).resolve().parents[1] / "data" / "extract_gold_images" / "gold.json"


def load_gold() -> list[dict]:
    return json.loads(GOLD.read_text(encoding="utf-8"))


def page_bytes(corpus: Path, page: dict) -> bytes:
    raw = (corpus / page["path"]).read_bytes()
    return gzip.decompress(raw) if page["path"].endswith(".gz") else raw


def normalise(url: str, base: str) -> str | None:
    try:
        parts = urlsplit(urljoin(base, url.strip()))
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return unquote(urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")))


def _keys(url: str) -> tuple[str, str, str]:
    p = urlsplit(url)
    return url, p.netloc + p.path, p.path.rstrip("/").rsplit("/", 1)[-1]


def matches(pred: list[str], gold: list[set[str]]) -> int:
    gkeys = [[{_keys(u)[level] for u in g} - {""} for g in gold] for level in range(3)]
    pkeys = [_keys(u) for u in pred]
    used_g: set[int] = set()
    used_p: set[int] = set()
    for level in range(3):
        owners = Counter(k for ks in gkeys[level] for k in ks)
        for j, pk in enumerate(pkeys):
            if j in used_p or not pk[level] or (level and owners[pk[level]] != 1):
                continue
            for i, ks in enumerate(gkeys[level]):
                if i not in used_g and pk[level] in ks:
                    used_g.add(i)
                    used_p.add(j)
                    break
    return len(used_g)


@dataclass
class Scores:
    pages: int
    precision: float
    recall: float
    f1: float
    img0: float | None  # share of image-free pages given no image
    matched: int
    predicted: int
    gold: int

    def line(self, name: str) -> str:
        img0 = "-" if self.img0 is None else f"{self.img0:.3f}"
        return (f"{name:<12} pages {self.pages:3d}  imgP {self.precision:.3f}  imgR {self.recall:.3f}  "
                f"imgF1 {self.f1:.3f}  img0 {img0}  (matched {self.matched} of {self.gold} gold, "
                f"{self.predicted} predicted)")


def score(predictions: dict[str, list[str]], gold: list[dict]) -> Scores:
    """Per-page means over pages with gold images, as the dev scorer reports them."""
    ps, rs, nones = [], [], []
    total_m = total_p = total_g = 0
    for page in gold:
        pred = [u for u in (normalise(x, page["url"]) for x in predictions.get(page["name"], [])) if u]
        sets = [{normalise(u, page["url"]) or u for u in g} for g in page["gold"]]
        m = matches(pred, sets)
        total_m, total_p, total_g = total_m + m, total_p + len(pred), total_g + len(sets)
        if not sets:
            nones.append(not pred)
            continue
        if pred:
            ps.append(m / len(pred))
        rs.append(m / len(sets))
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    return Scores(len(gold), p, r, 2 * p * r / (p + r) if p + r else 0.0,
                  sum(nones) / len(nones) if nones else None, total_m, total_p, total_g)
