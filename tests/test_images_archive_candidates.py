"""Archived images found under any of their URLs; network fallback along an image's candidates.

The archives are written the way a browser-driven crawler writes them: the page, then only
the images the browser fetched (the 1x file of a srcset), under the URL spelling the browser
used (another scheme, commas unescaped, query arguments in another order), and a revisit
record where a later capture had the same bytes as an earlier one.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from builder.cli import main as loom_main
from builder.extract.urls import resolve
from builder.images.archive_index import ArchiveImageIndex, canonical
from builder.images.config import ImagesConfig
from builder.images.source import ImageSource
from builder.net.fetcher import Fetcher
from builder.shards.reader import read_documents
from builder.sources.warc import WarcImageArchive, index_images
from builder.sources.warc_records import iter_records
from tests.factories import image_bytes
from tests.support.http_server import LoopbackServer, static, status

PROSE = (
    "The portrait was painted over many years, with layers of glaze so thin that no brush stroke "
    "shows, and it has been studied, copied, stolen and recovered more than any other picture."
)


def sha1_digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


class CrawlerArchive:
    """A WARC written record by record, as a crawler captures a page and its images."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = open(path, "wb")  # noqa: SIM115 - written record by record, closed by close()
        self._writer = WARCWriter(self._fh, gzip=True)

    def response(self, url: str, body: bytes, content_type: str) -> str:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type),
                                              ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
        digest = sha1_digest(body)
        record = self._writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers,
                                                 warc_headers_dict={"WARC-Payload-Digest": digest})
        self._writer.write_record(record)
        return digest

    def revisit(self, url: str, digest: str, refers_to: str | None, content_type: str) -> None:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        extra = {"WARC-Payload-Digest": digest,
                 "WARC-Profile": "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"}
        if refers_to:
            extra["WARC-Refers-To-Target-URI"] = refers_to
            extra["WARC-Refers-To-Date"] = "2026-01-01T00:00:00Z"
        record = self._writer.create_warc_record(url, "revisit", payload=io.BytesIO(b""), http_headers=headers,
                                                 warc_headers_dict=extra)
        self._writer.write_record(record)

    def close(self) -> None:
        self._fh.close()


# --------------------------------------------------------------------------- the index alone

def test_canonical_form_is_the_one_web_archives_use():
    same = [
        "https://upload.example.org/a/Mona_Lisa%2C_by_Leonardo.jpg",
        "http://upload.example.org/a/Mona_Lisa,_by_Leonardo.jpg",
        "HTTP://Upload.Example.ORG:80/a/Mona_Lisa,_by_Leonardo.jpg#top",
        "https://upload.example.org:443/a/Mona_Lisa%2c_by_Leonardo.jpg",
    ]
    assert len({canonical(u) for u in same}) == 1
    assert canonical("http://www.example.org/x.png") == canonical("https://example.org/x.png")
    assert canonical("http://example.org/x.png?b=2&a=1") == canonical("http://example.org/x.png?a=1&b=2")
    assert canonical("http://example.org/x.png") != canonical("http://example.org/y.png")
    assert canonical("http://example.org:8080/x.png") != canonical("http://example.org/x.png")


def test_index_follows_revisits_by_target_and_by_digest_even_written_first():
    index: ArchiveImageIndex[int] = ArchiveImageIndex()
    # A revisit written before the capture it refers to (it happens in merged archives).
    index.add("revisit", "http://example.org/early.jpg", "image/jpeg", 200, 1, digest="sha1:AAA",
              refers_to="http://example.org/original.jpg")
    assert index.find("http://example.org/early.jpg") is None
    assert index.add("response", "http://example.org/original.jpg", "image/jpeg", 200, 100, digest="sha1:AAA")
    index.add("revisit", "https://example.org/by-digest.jpg", "image/jpeg", 200, 2, digest="sha1:AAA")
    for url in ("http://example.org/early.jpg", "http://example.org/by-digest.jpg", "http://example.org/original.jpg"):
        found = index.find(url)
        assert found is not None and found.location == 100, url
    assert index.revisits == 2
    # Not images, failed responses: not indexed.
    assert not index.add("response", "http://example.org/page.html", "text/html", 200, 5)
    assert not index.add("response", "http://example.org/missing.jpg", "image/jpeg", 404, 6)
    assert index.add("response", "http://example.org/untyped.png", "application/octet-stream", 200, 7)
    assert index.find_any(["http://example.org/nothing.jpg", "https://www.example.org/untyped.png"]) is not None


# --------------------------------------------------------------------------- through `loom run`

def _config(tmp_path: Path, warc: Path, **images) -> Path:
    config = {
        "name": "archive-candidates",
        "sources": [{"type": "warc", "paths": [str(warc)]}],
        "filters": {"enabled": False},
        "dedup": {"enabled": False},
        "images": {"threads": 4, "fetch": {"allow_networks": ["127.0.0.0/8"], "total_timeout_s": 3.0,
                                           "retries": 0, "robots": {"obey": False}}, **images},
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def _run(config: Path, out: Path) -> tuple[list, dict]:
    assert loom_main(["run", str(config), "--out", str(out)]) == 0
    stats = json.loads((out / "stats.json").read_text())
    return list(read_documents(out)), stats


def _counts(stats: dict) -> dict[str, int]:
    flat: dict[str, int] = {}
    for value in stats.values():
        if isinstance(value, dict):
            flat.update({k: v for k, v in value.items() if isinstance(v, int)})
    return flat


@pytest.fixture()
def server():
    with LoopbackServer("127.0.0.41") as srv:
        yield srv


def test_every_image_the_archive_holds_under_any_url_comes_from_it_with_no_request(server, tmp_path):
    host = f"{server.host}:{server.port}"
    pictures = {name: image_bytes(320 + 10 * i, 240, (40 * i % 256, 90, 160), "JPEG")
                for i, name in enumerate(("mona", "query", "picture", "revisit", "digest"))}
    # Everything is also served live, so a request would succeed: only the log tells them apart.
    for name, data in pictures.items():
        for path in (f"/thumb/220px-{name}%2C_x.jpg", f"/thumb/440px-{name}%2C_x.jpg", f"/img/{name}.jpg"):
            server.route(path, static(data, "image/jpeg"))
    page_url = f"http://{host}/wiki/Mona_Lisa"
    page = f"""<html><head><title>Mona Lisa</title></head><body><article>
      <p>{PROSE}</p>
      <img src="//{host}/thumb/220px-mona%2C_x.jpg" width="220"
           srcset="//{host}/thumb/330px-mona%2C_x.jpg 1.5x, //{host}/thumb/440px-mona%2C_x.jpg 2x">
      <p>{PROSE}</p>
      <img src="/img/query.jpg?size=m&amp;v=2" width="400">
      <p>{PROSE}</p>
      <a href="/img/picture-full.jpg"><picture>
        <!--[if IE 9]><video style="display: none;"><![endif]-->
        <source srcset="/img/picture.jpg 1x, /img/picture@2x.jpg 2x">
        <!--[if IE 9]></video><![endif]-->
        <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="lightbox"></picture></a>
      <p>{PROSE}</p>
      <img src="/img/revisit.jpg"><p>{PROSE}</p><img src="/img/digest.jpg"><p>{PROSE}</p>
    </article></body></html>""".encode()
    archive = CrawlerArchive(tmp_path / "crawl.warc.gz")
    archive.response(page_url, page, "text/html; charset=utf-8")
    # The browser fetched the 1x file, over https, with the comma unescaped.
    archive.response(f"https://{host}/thumb/220px-mona,_x.jpg", pictures["mona"], "image/jpeg")
    archive.response(f"http://{host}/img/query.jpg?v=2&size=m", pictures["query"], "image/jpeg")
    archive.response(f"http://{host}/img/picture.jpg", pictures["picture"], "image/jpeg")
    # An earlier capture, then revisits of it: by target URI, and by payload digest alone.
    earlier = archive.response(f"http://{host}/img/revisit-2025.jpg", pictures["revisit"], "image/jpeg")
    archive.revisit(f"http://{host}/img/revisit.jpg", earlier, f"http://{host}/img/revisit-2025.jpg", "image/jpeg")
    first = archive.response(f"http://{host}/static/digest-v1.jpg", pictures["digest"], "image/jpeg")
    archive.revisit(f"https://{host}/img/digest.jpg", first, None, "image/jpeg")
    archive.close()

    docs, stats = _run(_config(tmp_path, archive.path), tmp_path / "out")

    assert server.log == []  # nothing was fetched
    (doc,) = docs
    assert [n.info["source"] for n in doc.images] == ["warc"] * 5
    assert [n.data for n in doc.images] and all(n.data for n in doc.images)
    mona = doc.images[0]
    assert mona.src == f"http://{host}/thumb/440px-mona%2C_x.jpg"  # the page's preferred (2x) URL...
    assert mona.info["url"] == f"http://{host}/thumb/220px-mona%2C_x.jpg"  # ...but the 1x the archive holds
    assert mona.candidates[0] == mona.src and mona.info["url"] in mona.candidates
    assert doc.images[2].info["url"] == f"http://{host}/img/picture.jpg"  # <picture> inside a lightbox link
    counts = _counts(stats)
    assert counts.get("image.source.warc") == 5 and "image.source.http" not in counts
    assert counts.get("image.candidate_alternate.warc") == 2  # mona (1x) and picture (1x)
    assert counts.get("archive.image_revisits") == 2
    # The shard JSON records the URL used and the candidates.
    with tarfile.open(next((tmp_path / "out").glob("*.tar"))) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(".json"))
        sample = json.loads(tar.extractfile(member).read())
    info = next(i for i in sample["image_info"] if i)
    assert info["url"] == mona.info["url"] and info["candidates"] == mona.candidates


def test_a_candidate_that_fails_on_the_network_falls_back_to_the_next(server, tmp_path):
    host = f"{server.host}:{server.port}"
    server.route("/gone-2x.jpg", status(404))
    server.route("/gone-1x.jpg", static(image_bytes(400, 300, fmt="JPEG"), "image/jpeg"))
    server.route("/thumb.jpg", static(image_bytes(90, 60, fmt="JPEG"), "image/jpeg"))  # below candidate_min_side
    server.route("/large.jpg", static(image_bytes(900, 600, fmt="JPEG"), "image/jpeg"))
    server.route("/only.jpg", static(image_bytes(100, 80, fmt="JPEG"), "image/jpeg"))  # small, no other URL
    page_url = f"http://{host}/post.html"
    page = f"""<html><body><article><p>{PROSE}</p>
      <img src="/gone-1x.jpg" srcset="/gone-2x.jpg 2x" width="300"><p>{PROSE}</p>
      <img src="/thumb.jpg" srcset="/thumb.jpg 1x, /large.jpg 3x"><p>{PROSE}</p>
      <img src="/only.jpg"><p>{PROSE}</p></article></body></html>""".encode()
    archive = CrawlerArchive(tmp_path / "page-only.warc.gz")
    archive.response(page_url, page, "text/html")
    archive.close()

    docs, stats = _run(_config(tmp_path, archive.path), tmp_path / "out")

    (doc,) = docs
    used = [n.info["url"].rsplit("/", 1)[1] for n in doc.images]
    assert used == ["gone-1x.jpg", "large.jpg", "only.jpg"]
    assert [n.info["source"] for n in doc.images] == ["http"] * 3
    requested = [path for path, _ in server.log if path != "/robots.txt"]
    assert sorted(requested) == sorted(["/gone-2x.jpg", "/gone-1x.jpg", "/thumb.jpg", "/large.jpg", "/only.jpg"])
    assert _counts(stats).get("image.candidate_fallback") == 2  # after the 404, and after the 90x60 thumbnail


# --------------------------------------------------------------------------- real archives

CORPUS_WARC = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "warc"
REAL_ARCHIVES = ["ukwa-webarchive-discovery/IAH-20080430204825-00000-blackbook-truncated.warc.gz",
                 "pywb/iana.warc.gz"]


@pytest.mark.skipif(not CORPUS_WARC.is_dir(), reason="../shared/corpus/warc is absent")
@pytest.mark.parametrize("name", REAL_ARCHIVES)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_real_archives_serve_their_images_whatever_scheme_the_page_was_read_under(name, scheme):
    path = CORPUS_WARC / name
    archive = WarcImageArchive(path, index_images(path))
    config = ImagesConfig()
    fetcher = Fetcher(config.fetch)
    source = ImageSource(config, fetcher, None, archive)
    held = served = 0
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh, arc2warc=True):
            ctype = record.http_headers.get_header("Content-Type") if record.http_headers else ""
            if record.rec_type != "response" or "html" not in (ctype or ""):
                continue
            url = record.rec_headers.get_header("WARC-Target-URI").replace("http://", f"{scheme}://", 1)
            # Every <img> of the page (logos too: this is about finding bytes, not choosing pictures).
            tree = LexborHTMLParser(record.content_stream().read())
            for img in tree.css("img"):
                src = resolve(img.attrs.get("src") or "", url)
                if src is None or archive.index.find(src) is None:
                    continue
                held += 1
                outcome = source.get([src])
                # Taken from the archive (a decoded image, or the archived bytes' own rejection,
                # e.g. SVG): never a request, since every candidate's copy was the archived one.
                assert outcome.source == "warc", (src, outcome)
                served += outcome.reason is None
    fetcher.close()
    assert held >= 1
    if name.startswith("ukwa"):
        assert served == held  # JPEG, GIF, PNG: decoded from the archive


def test_uris_written_in_angle_brackets_are_read_as_the_bare_url(tmp_path):
    """WARC/1.1's grammar put WARC-Target-URI in angle brackets and some writers do so: the page's
    URL and its archived image (and a revisit's Refers-To) are read without the brackets
    (warcio strips them; this holds the reader to it)."""
    image = image_bytes(64, 64)
    warc = tmp_path / "brackets.warc.gz"
    archive = CrawlerArchive(warc)
    digest = archive.response("<https://example.org/pic.png>", image, "image/png")
    archive.revisit("<https://example.org/again.png>", digest, "<https://example.org/pic.png>", "image/png")
    archive.response("<https://example.org/article.html>", b"<html><body><p>text</p></body></html>", "text/html")
    archive.close()
    with open(warc, "rb") as fh:
        urls = [rec.url for rec in iter_records(fh, read_pages=True, max_payload=1 << 20)]
    assert urls == ["https://example.org/pic.png", "https://example.org/again.png", "https://example.org/article.html"]
    index = index_images(warc)
    assert index.find("https://example.org/pic.png").url == "https://example.org/pic.png"
    assert index.find("http://example.org/again.png").revisit
