"""Archived images found under any of their URLs: a browser-made crawl archive, and the corpus WARCs.

A crawl archive is written the way a browser-driven crawler writes one: each page, then only
the images the browser fetched (the 1x file of a srcset), under the spelling it used (another
scheme, commas unescaped, query arguments reordered), and revisit records for pictures seen
before. Every image is also served live by a loopback server, so a request would succeed:
its log tells archive from network. loom runs the archive through `loom run`; the baseline is
the old lookup (the exact URL of the preferred candidate in the archive's index).

    python bench/archive_recovery.py [--pages 40]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

from builder.cli import main as loom_main  # noqa: E402
from builder.extract import extract_document  # noqa: E402
from tests.support.http_server import LoopbackServer, static  # noqa: E402

PROSE = ("The harbour was rebuilt twice in the last century, and each time the old quay stones were "
         "numbered, lifted, and laid again in the same order by the same families of masons.")


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400 + seed % 50, 300), ((seed * 37) % 256, (seed * 91) % 256, 120)).save(out, "JPEG")
    return out.getvalue()


def digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def write(writer: WARCWriter, url: str, body: bytes, ctype: str, rec_type: str = "response",
          refers: tuple[str, str] | None = None) -> None:
    headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
    extra = {"WARC-Payload-Digest": refers[1] if refers else digest(body)}
    if refers:
        extra["WARC-Refers-To-Target-URI"] = refers[0]
    payload = io.BytesIO(b"" if rec_type == "revisit" else body)
    writer.write_record(writer.create_warc_record(url, rec_type, payload=payload, http_headers=headers,
                                                  warc_headers_dict=extra))


def build(path: Path, server: LoopbackServer, n_pages: int) -> int:
    """The archive; returns how many content images it holds (under some URL of theirs)."""
    host = f"{server.host}:{server.port}"
    held = 0
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for p in range(n_pages):
            pics = {k: jpeg(p * 10 + i) for i, k in enumerate(("thumb", "query", "plain", "again"))}
            for k, data in pics.items():  # all served live too
                for path_ in (f"/t/220px-{k}{p}%2C_x.jpg", f"/t/440px-{k}{p}%2C_x.jpg", f"/i/{k}{p}.jpg"):
                    server.route(path_, static(data, "image/jpeg"))
            page = (f"<html><body><article><p>{PROSE}</p>"
                    f'<img src="//{host}/t/220px-thumb{p}%2C_x.jpg" width="220" '
                    f'srcset="//{host}/t/330px-thumb{p}%2C_x.jpg 1.5x, //{host}/t/440px-thumb{p}%2C_x.jpg 2x">'
                    f"<p>{PROSE}</p><img src='/i/query{p}.jpg?size=m&amp;v=2' width='400'><p>{PROSE}</p>"
                    f"<img src='/i/plain{p}.jpg' width='400'><p>{PROSE}</p>"
                    f"<img src='/i/again{p}.jpg' width='400'><p>{PROSE}</p></article></body></html>").encode()
            page_url = f"http://{host}/wiki/page{p}"
            write(writer, page_url, page, "text/html")
            write(writer, f"https://{host}/t/220px-thumb{p},_x.jpg", pics["thumb"], "image/jpeg")  # 1x, https, ','
            write(writer, f"http://{host}/i/query{p}.jpg?v=2&size=m", pics["query"], "image/jpeg")
            write(writer, f"http://{host}/i/plain{p}.jpg", pics["plain"], "image/jpeg")
            earlier = f"http://{host}/i/again{p}-2024.jpg"
            write(writer, earlier, pics["again"], "image/jpeg")
            write(writer, f"http://{host}/i/again{p}.jpg", b"", "image/jpeg", "revisit",
                  (earlier, digest(pics["again"])))
            held += 4
    return held


def exact_lookup_hits(path: Path) -> int:
    """The old lookup: images whose preferred URL is, letter for letter, an archived response's URL."""
    from warcio.archiveiterator import ArchiveIterator

    archived, hits = set(), 0
    pages = []
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            url = record.rec_headers.get_header("WARC-Target-URI")
            ctype = record.http_headers.get_header("Content-Type") if record.http_headers else ""
            if record.rec_type == "response" and ctype.startswith("image/"):
                archived.add(url)
            elif record.rec_type == "response":
                pages.append((record.content_stream().read(), url))
    for body, url in pages:
        hits += sum(1 for n in extract_document(body, url).images if n.src in archived)
    return hits


def corpus_figures(root: Path) -> tuple[int, int, int]:
    """Over the corpus WARCs that hold pages with their images, every <img> of every page, the page
    read under https (as a crawler that upgraded the scheme records it): (images, held by the exact
    URL, held under the canonical form)."""
    from selectolax.lexbor import LexborHTMLParser
    from warcio.archiveiterator import ArchiveIterator

    from builder.extract.urls import resolve
    from builder.sources.warc import index_images

    total = exact = canonical = 0
    for name in ("pywb/iana.warc.gz", "ukwa-webarchive-discovery/IAH-20080430204825-00000-blackbook-truncated.warc.gz",
                 "ukwa-webarchive-discovery/IAH-urls-wget.warc.gz"):
        path = root / name
        if not path.is_file():
            continue
        index = index_images(path)
        archived = {found.url for found in (index.find(u) for u in _image_urls(path)) if found}
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh, arc2warc=True):
                ctype = record.http_headers.get_header("Content-Type") if record.http_headers else ""
                if record.rec_type != "response" or "html" not in (ctype or ""):
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI").replace("http://", "https://", 1)
                for img in LexborHTMLParser(record.content_stream().read()).css("img"):
                    src = resolve(img.attrs.get("src") or "", url)
                    if src:
                        total += 1
                        exact += src in archived
                        canonical += index.find(src) is not None
    return total, exact, canonical


def _image_urls(path: Path) -> list[str]:
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as fh:
        return [r.rec_headers.get_header("WARC-Target-URI") or "" for r in ArchiveIterator(fh, arc2warc=True)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=40)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LoopbackServer("127.0.0.42") as server:
        warc = Path(tmp) / "crawl.warc.gz"
        held = build(warc, server, args.pages)
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({
            "name": "archive-recovery", "sources": [{"type": "warc", "paths": [str(warc)]}],
            "filters": {"enabled": False}, "dedup": {"enabled": False},
            "images": {"fetch": {"allow_networks": ["127.0.0.0/8"], "retries": 0, "robots": {"obey": False}}},
        }))
        assert loom_main(["run", str(config), "--out", str(Path(tmp) / "out"), "--quiet"]) == 0
        stats = json.loads((Path(tmp) / "out" / "stats.json").read_text())
        counts = stats["counts"]
        from_archive = counts.get("image.source.warc", 0)
        requests = len([p for p, _ in server.log if p != "/robots.txt"])
        baseline = exact_lookup_hits(warc)
    print(f"browser-made archive: {args.pages} pages, {held} content images held (1x only, other scheme, "
          f"',' for '%2C', reordered query, revisits)")
    print(f"loom:     {from_archive} of {held} taken from the archive, {requests} network requests "
          f"(alternate candidate {counts.get('image.candidate_alternate.warc', 0)}, "
          f"revisits followed {counts.get('archive.image_revisits', 0)})")
    print(f"baseline: {baseline} of {held} found by the exact preferred URL (the old lookup); "
          f"the other {held - baseline} would be fetched")
    total, exact, canonical = corpus_figures(REPO.parent / "shared" / "corpus" / "warc")
    if total:
        print(f"corpus WARCs (iana, IAH; pages read under https): {total} <img> on the pages, "
              f"{exact} held under the exact URL, {canonical} under the canonical form")
    print(json.dumps({"bench": "archive_recovery", "unit": "images from archive", "loom": from_archive,
                      "baseline": baseline, "ratio": round(from_archive / baseline, 2) if baseline else None,
                      "held": held, "network_requests": requests, "pages": args.pages,
                      "corpus_img": total, "corpus_exact": exact, "corpus_canonical": canonical}))


if __name__ == "__main__":
    main()
