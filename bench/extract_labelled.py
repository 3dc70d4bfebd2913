"""Images on the hand-labelled pages (tests/data/extract_gold_images): loom and trafilatura.

    python bench/extract_labelled.py            # needs ../shared/corpus; trafilatura if installed

Prints imgP / imgR / imgF1 / img0 per extractor (per-page means, as the dev scorer reports them)
and ends with one JSON line (the value compared is imgF1).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpus"

from builder.extract import ExtractRejected, extract_document  # noqa: E402
from tests.support.image_gold import load_gold, page_bytes, score  # noqa: E402


def loom_images(body: bytes, url: str) -> list[str]:
    try:
        return [n.src for n in extract_document(body, url).images]
    except ExtractRejected:
        return []


def trafilatura_images(body: bytes, url: str) -> list[str]:
    import trafilatura
    from lxml import etree

    xml = trafilatura.extract(body, url=url, output_format="xml", include_images=True)
    if not xml:
        return []
    return [g.get("src") for g in etree.fromstring(xml.encode()).iter("graphic") if g.get("src")]


def main() -> None:
    gold = load_gold()
    results = {}
    extractors = {"loom": loom_images}
    try:
        import trafilatura  # noqa: F401

        extractors["trafilatura"] = trafilatura_images
    except ImportError:
        print("trafilatura is not installed: loom only")
    for name, fn in extractors.items():
        predictions = {p["name"]: fn(page_bytes(CORPUS, p), p["url"]) for p in gold}
        results[name] = score(predictions, gold)
        print(results[name].line(name))
    loom, base = results["loom"], results.get("trafilatura")
    print(json.dumps({"bench": "extract_labelled", "unit": "imgF1", "loom": round(loom.f1, 3),
                      "baseline": round(base.f1, 3) if base else None,
                      "ratio": round(loom.f1 / base.f1, 3) if base and base.f1 else None,
                      "baseline_name": "trafilatura", "pages": loom.pages, "gold_images": loom.gold,
                      "loom_precision": round(loom.precision, 3), "loom_recall": round(loom.recall, 3)}))


if __name__ == "__main__":
    main()
