"""Extraction speed: loom's extractor against trafilatura (include_images=True), same process, same pages.

Each page is given to both as raw bytes (each decodes it itself), loom first then trafilatura,
page after page, so both see the same machine load. Speed is pages per CPU-second of this
process (= pages/s on one core), with wall-clock pages/s beside it. The pages are the dev pages
of the extraction eval (``../shared/eval/extraction/splits.tsv`` + ``../shared/corpus``) unless
``--folder`` names a folder of ``.html`` / ``.html.gz`` files.

    python bench/extract.py                         # the dev pages
    python bench/extract.py --folder DIR --limit 200
    python bench/extract.py --repeat 3              # each page 3 times (steadier numbers)
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"
FALLBACK_URL = "http://localhost/page.html"


def read(path: Path) -> bytes:
    body = path.read_bytes()
    return gzip.decompress(body) if path.name.endswith(".gz") else body


def named_dev_pages(shared: Path) -> list[tuple[str, bytes, str]]:
    """("set-name", bytes, URL) of each dev page, in splits.tsv order."""
    splits = shared / "eval" / "extraction" / "splits.tsv"
    pages = []
    for line in splits.read_text(encoding="utf-8").splitlines()[1:]:
        split, set_name, name, rel, url = line.split("\t")
        if split == "dev":
            pages.append((f"{set_name}-{name}", read(shared / "corpus" / rel), url))
    return pages


def dev_pages(shared: Path) -> list[tuple[bytes, str]]:
    return [(body, url) for _, body, url in named_dev_pages(shared)]


def folder_pages(folder: Path) -> list[tuple[bytes, str]]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith((".html", ".htm", ".html.gz")))
    return [(read(p), FALLBACK_URL) for p in files]


def run_loom(body: bytes, url: str) -> int:
    from builder.extract import ExtractRejected, extract_document

    try:
        return len(extract_document(body, url).nodes)
    except ExtractRejected:
        return 0


def run_trafilatura(body: bytes, url: str) -> int:
    import trafilatura

    xml = trafilatura.extract(body, url=url, output_format="xml", include_images=True, include_comments=False)
    return len(xml or "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", type=Path, help="folder of .html / .html.gz pages (default: the eval dev pages)")
    ap.add_argument("--shared", type=Path, default=SHARED, help="the shared folder (corpus + eval)")
    ap.add_argument("--limit", type=int, help="first N pages only")
    ap.add_argument("--repeat", type=int, default=1, help="times each page is extracted")
    a = ap.parse_args(argv)
    logging.disable(logging.CRITICAL)  # trafilatura logs every odd page
    pages = folder_pages(a.folder) if a.folder else dev_pages(a.shared)
    pages = pages[: a.limit] if a.limit else pages
    if not pages:
        print("no pages found", file=sys.stderr)
        return 2
    warm = b"<html><body><p>warm-up: imports stay out of the timings</p><img src='a.jpg'></body></html>"
    run_loom(warm, FALLBACK_URL)
    run_trafilatura(warm, FALLBACK_URL)

    cpu = {"loom": 0.0, "trafilatura": 0.0}
    wall = {"loom": 0.0, "trafilatura": 0.0}
    runners = {"loom": run_loom, "trafilatura": run_trafilatura}
    for body, url in pages:
        for _ in range(a.repeat):
            for name, fn in runners.items():
                w0, c0 = time.perf_counter(), time.process_time()
                fn(body, url)
                cpu[name] += time.process_time() - c0
                wall[name] += time.perf_counter() - w0
    n = len(pages) * a.repeat
    mb = sum(len(b) for b, _ in pages) / 1e6
    per_core = {k: n / v for k, v in cpu.items()}
    per_wall = {k: n / v for k, v in wall.items()}
    print(f"pages: {len(pages)} ({mb:.1f} MB) x {a.repeat}")
    for name in runners:
        print(f"{name:12s} {per_core[name]:8.1f} pages/s per core (CPU)   {per_wall[name]:8.1f} pages/s wall")
    ratio = per_core["loom"] / per_core["trafilatura"]
    print(f"loom / trafilatura: {ratio:.2f}x")
    print(json.dumps({
        "bench": "extract", "unit": "pages/s per core", "loom": round(per_core["loom"], 1),
        "baseline": round(per_core["trafilatura"], 1), "ratio": round(ratio, 2), "baseline_name": "trafilatura",
        "pages": len(pages), "repeat": a.repeat, "loom_wall": round(per_wall["loom"], 1),
        "baseline_wall": round(per_wall["trafilatura"], 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
