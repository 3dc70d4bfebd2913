"""Rebuild gold.json from labels.json: the URLs of each hand-picked <img> of a corpus page.

labels.json says, per page, which <img> elements (0-based, in document order, as
`LexborHTMLParser(page).css("img")` lists them) are the article's own pictures; they were
chosen by reading each page's list of <img> with its place (ancestors, the text before it),
alt text and size. This script only turns those choices into URLs: every URL the element
names (src, srcset, lazy-loading data-* attributes, <picture><source>), resolved against the
page URL, so a prediction of any of them counts.

    python tests/data/extract_gold_images/build.py ../shared/corpus
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

HERE = Path(__file__).resolve().parent
_URLISH = re.compile(r"""(?:https?:)?//[^\s"'<>\\]+|^[^\s"'<>:]+\.(?:jpe?g|png|gif|webp|avif|svg)\b[^\s"'<>]*""", re.I)


def _variants(img) -> list[str]:
    elements = [img]
    if img.parent is not None and img.parent.tag == "picture":
        elements += [s for s in img.parent.css("source")]
    urls: list[str] = []
    for element in elements:
        for key, value in element.attributes.items():
            if not value or value.startswith("data:") or "w3.org/2000/svg" in value:
                continue
            if key.endswith("srcset"):
                urls += [part.split()[0] for part in value.split(", ") if part.split()]
            elif key == "src" or key.startswith("data-"):
                urls += [m.group(0) for m in _URLISH.finditer(value.strip())]
    return urls


def build(corpus: Path) -> list[dict]:
    pages = []
    for label in json.loads((HERE / "labels.json").read_text(encoding="utf-8")):
        raw = (corpus / label["path"]).read_bytes()
        if label["path"].endswith(".gz"):
            raw = gzip.decompress(raw)
        imgs = LexborHTMLParser(raw.decode("utf-8", "replace")).css("img")
        images = []
        for index in label["images"]:
            found = {urljoin(label["url"], u) for u in _variants(imgs[index])}
            images.append(sorted(u for u in found if u.startswith(("http://", "https://"))))
        pages.append({**label, "gold": images})
    return pages


if __name__ == "__main__":
    out = build(Path(sys.argv[1]))
    (HERE / "gold.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(out)} pages, {sum(len(p['gold']) for p in out)} images")
