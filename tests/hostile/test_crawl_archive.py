"""A crawl with its images, run twice and then re-read from its own WARC (issue 18, items 4-6).

- Sample keys are the content's identity: two crawls of the same site give the same keys
  (they were the URL plus the WARC offset, which fetch timing decides).
- One Crawl-delay for the host: the crawl's page fetches and the image stage's fetches share
  one clock and one robots.txt (they kept two, so a page and an image went out 0.1 s apart).
- Re-reading the crawl's WARC asks the site nothing: robots.txt answers and refused images
  (X-Robots-Tag noai) are in the archive and honoured from it; a 301 whose target robots.txt
  disallows is archived too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from builder.cli import main
from builder.shards.reader import read_documents
from tests.factories import image_bytes
from tests.support.http_server import LoopbackServer, redirect, static

CRAWL_DELAY = 0.3
PROSE = ("The lighthouse keepers of the northern coast kept careful logs of wind, fog and passing ships, "
         "and their notes tell of winters spent trimming wicks and polishing the great brass lens. ")


def page(title: str, links: list[str], images: list[str]) -> bytes:
    anchors = " ".join(f'<a href="{h}">{h}</a>' for h in links)
    figures = "".join(f'<figure><img src="{src}" alt="{title} {i}" width="200" height="160"></figure>'
                      for i, src in enumerate(images))
    return (f"<!doctype html><html><head><title>{title}</title></head><body><nav>{anchors}</nav>"
            f"<article><h1>{title}</h1><p>{PROSE * 2}</p>{figures}<p>{PROSE}</p></article></body></html>").encode()


@pytest.fixture()
def site():
    with LoopbackServer("127.0.0.2") as server:
        server.set_robots(f"User-agent: *\nDisallow: /private/\nCrawl-delay: {CRAWL_DELAY}\n")
        html = "text/html; charset=utf-8"
        server.route("/", static(page("Home", ["/a", "/b", "/old"], ["/img/home.png"]), html))
        server.route("/a", static(page("Alpha", [], ["/img/a.png", "/img/noai.png"]), html))
        server.route("/b", static(page("Bravo", [], ["/img/b.png", "/private/hidden.png"]), html))
        server.route("/old", redirect("/private/moved", 301))
        server.route("/private/moved", static(page("Moved", [], []), html))
        for i, name in enumerate(("home", "a", "b")):
            server.route(f"/img/{name}.png", static(image_bytes(200, 160, (40 * i, 90, 200)), "image/png"))
        server.route("/img/noai.png", static(image_bytes(200, 160), "image/png", headers={"X-Robots-Tag": "noai"}))
        server.route("/private/hidden.png", static(image_bytes(200, 160), "image/png"))
        yield server


FETCH = "{allow_networks: ['127.0.0.0/8'], per_host_delay_s: 0.0, retries: 0}"


def crawl_config(tmp: Path, seed: str) -> Path:
    config = tmp / "crawl.yaml"
    config.write_text(f"sources:\n  - {{type: crawl, urls: ['{seed}'], max_depth: 1, threads: 4, fetch: {FETCH}}}\n"
                      f"images: {{fetch: {FETCH}}}\nfilters: {{enabled: false}}\nvalidate: {{enabled: false}}\n"
                      "dedup: {enabled: false}\n")
    return config


def keys(out: Path) -> set[str]:
    return {doc.id for doc in read_documents(out)}


def test_crawl_keys_politeness_and_a_reread_that_fetches_nothing(site, tmp_path):
    config = crawl_config(tmp_path, site.url("/"))
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["run", str(config), "--out", str(first), "--quiet"]) == 0
    crawl1 = list(site.times)
    assert main(["run", str(config), "--out", str(second), "--quiet"]) == 0

    # 4: the same content gives the same keys, however the fetches interleaved.
    assert len(keys(first)) == 3 and keys(first) == keys(second)

    # 5: one clock for the host: every request of a crawl (pages and images) at least Crawl-delay apart.
    # (measured where the server reads the request line: connection set-up adds some jitter)
    times = sorted(crawl1)
    gaps = [(round(b[0] - a[0], 3), b[1]) for a, b in zip(times, times[1:]) if a[1] != "/robots.txt"]
    assert len(gaps) >= 7 and min(g for g, _ in gaps) >= CRAWL_DELAY - 0.08, str(gaps)
    assert site.hits["/robots.txt"] == 2  # once per crawl, shared by the crawl and the image stage
    assert site.hits["/private/hidden.png"] == 0 and site.hits["/private/moved"] == 0

    # 6: the 301 towards a disallowed page is in the archive.
    warc = next((first / "crawl-warc").glob("*.warc.gz"))
    with open(warc, "rb") as fh:
        archived = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"),
                     r.http_headers.get_statuscode() if r.http_headers else None)
                    for r in ArchiveIterator(fh)]
    assert ("response", site.url("/old"), "301") in archived

    # 6: reading the crawl's own WARC back asks the site nothing, and gives the same documents.
    hits = sum(site.hits.values())
    reread = tmp_path / "reread.yaml"
    reread.write_text(f"sources:\n  - {{type: warc, paths: ['{warc}']}}\nimages: {{fetch: {FETCH}}}\n"
                      "filters: {enabled: false}\nvalidate: {enabled: false}\ndedup: {enabled: false}\n")
    assert main(["run", str(reread), "--out", str(tmp_path / "again"), "--quiet"]) == 0
    assert sum(site.hits.values()) == hits, site.log[hits:]
    assert keys(tmp_path / "again") == keys(first)
