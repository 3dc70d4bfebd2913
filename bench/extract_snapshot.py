"""Output-equality check for the extractor: snapshot every dev page's document, compare later.

A speed-up must not change what the extractor outputs. This runs ``extract_document`` over the
dev pages of the extraction eval (the pages ``bench/extract.py`` times, same bytes and URLs),
and writes one JSON file per page: the document's ``to_dict()`` form plus the stats drop
reasons of the page (or the ``ExtractRejected`` reason). ``--compare`` reruns and reports every
page whose JSON differs.

    python bench/extract_snapshot.py --write /tmp/snap_main     # before a change
    python bench/extract_snapshot.py --compare /tmp/snap_main   # after it: exit 1 on a difference
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"

from extract import named_dev_pages  # noqa: E402 (bench/extract.py: the same pages it times)


def snapshot(body: bytes, url: str) -> dict[str, Any]:
    from builder.extract import ExtractRejected, extract_document
    from builder.stats import Stats

    stats = Stats()
    try:
        out: dict[str, Any] = {"document": extract_document(body, url, stats=stats).to_dict()}
    except ExtractRejected as e:
        out = {"rejected": e.reason}
    out["drops"] = dict(sorted(stats.drops.items()))
    return out


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path, metavar="DIR", help="write one JSON per page into DIR")
    mode.add_argument("--compare", type=Path, metavar="DIR", help="compare with the JSON files in DIR")
    ap.add_argument("--shared", type=Path, default=SHARED, help="the shared folder (corpus + eval)")
    a = ap.parse_args(argv)
    pages = named_dev_pages(a.shared)
    if not pages:
        print("no pages found", file=sys.stderr)
        return 2
    folder = a.write or a.compare
    if a.write:
        folder.mkdir(parents=True, exist_ok=True)
    differ: list[str] = []
    for name, body, url in pages:
        text = dumps(snapshot(body, url))
        path = folder / f"{name}.json"
        if a.write:
            path.write_text(text, encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            differ.append(name)
    if a.write:
        print(f"wrote {len(pages)} pages to {folder}")
        return 0
    for name in differ:
        print(f"differs: {name}")
    print(f"{len(pages) - len(differ)} of {len(pages)} pages equal")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
