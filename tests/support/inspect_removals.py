"""An output folder whose samples carry removal records, a long-metadata document, and real provenance.

The samples follow docs/shard-format.md with the ``removed`` list of COMMON.md:
``[{"position", "kind", "reason", "text", "url"}]``, position = index in the page's node order as
extracted. The pages the documents came from are real: one WARC written with warcio (gzip per
record), one local HTML file.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from builder.document import document_key
from builder.shards.manifest import write_manifest
from builder.shards.writer import ShardInfo
from builder.stats import Stats

PAGE_HTML = ("<html><head><title>Garden notes</title><script>alert('page script')</script></head><body>"
             "<h1>Garden notes</h1><p>Tomatoes like a warm and sunny wall.</p>"
             "<p>Subscribe now!!!</p><img src='/ad.gif'><img src='/tomato.jpg'></body></html>")
LONG_VALUE = "https://example.com/" + "x" * 600  # one unbreakable word, 620 characters
LONG_TEXT = " ".join(f"keyword{i}" for i in range(500))  # ~5,000 characters of metadata


def _jpeg(width: int, height: int, seed: int) -> bytes:
    img = Image.new("RGB", (width, height), (seed * 50 % 256, 120, 200))
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    return buf.getvalue()


@dataclass
class Sample:
    key: str
    data: dict[str, Any]
    images: list[bytes] = field(default_factory=list)


def _sample(url: str, nodes: list[tuple[str, Any]], removed: list[dict[str, Any]], *,
            metadata: dict[str, Any] | None = None, provenance: dict[str, Any] | None = None,
            scores: dict[str, float] | None = None) -> Sample:
    """`nodes`: ("text", str) or ("image", (src, bytes)) in the order left after removal."""
    texts: list[str | None] = []
    refs: list[str | None] = []
    text_info: list[Any] = []
    image_info: list[Any] = []
    images = []
    for kind, value in nodes:
        if kind == "text":
            texts.append(value)
            refs.append(None)
            text_info.append({"tag": "p", "scores": {"words": float(len(value.split())), "stopword_ratio": 0.4,
                                                     "special_char_ratio": 0.1, "char_repetition": 0.0,
                                                     "word_repetition": 0.0, "punctuation_ratio": 0.05,
                                                     "common_word_ratio": 0.95, "flagged_word_ratio": 0.0,
                                                     "spam_ratio": 0.0}})
            image_info.append(None)
        else:
            src, payload = value
            texts.append(None)
            refs.append(f"{len(images)}.jpg")
            text_info.append(None)
            image_info.append({"src": src, "width": 64, "height": 48, "format": "jpeg"})
            images.append(payload)
    key = document_key(url)
    data = {"key": key, "url": url, "texts": texts, "images": refs, "text_info": text_info,
            "image_info": image_info, "metadata": {"lang": "en", **(metadata or {})},
            "provenance": {"url": url, "source": "test", **(provenance or {})},
            "scores": scores or {"words": float(sum(len(t.split()) for t in texts if t))},
            "removed": removed}
    return Sample(key, data, images)


def _write_shard(path: Path, samples: list[Sample]) -> ShardInfo:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for sample in samples:
            members = [("json", json.dumps(sample.data, sort_keys=True).encode())]
            members += [(f"{i}.jpg", payload) for i, payload in enumerate(sample.images)]
            for suffix, payload in members:
                info = tarfile.TarInfo(f"{sample.key}.{suffix}")
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    return ShardInfo(path.name, len(samples), path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())


def _write_warc(path: Path, url: str) -> dict[str, Any]:
    """A gzipped WARC with a request and the page's response; the response's provenance fields."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        request = writer.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"))
        writer.write_record(request)
        offset = fh.tell()
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        response = writer.create_warc_record(url, "response", payload=io.BytesIO(PAGE_HTML.encode()),
                                             http_headers=headers)
        writer.write_record(response)
        length = fh.tell() - offset
    return {"source": "warc", "warc_file": str(path), "warc_offset": offset, "warc_length": length,
            "warc_record_id": response.rec_headers.get_header("WARC-Record-ID")}


@dataclass
class RemovalsOutput:
    path: Path
    garden: Sample  # kept, lost two paragraphs and an image, from a WARC
    long: Sample  # kept, long metadata, from a local HTML file
    emptied: Sample  # rejected: every paragraph removed
    plain: Sample  # kept, nothing removed, no provenance to show


def build_removals_output(out: Path, keep_rejects: bool = True) -> RemovalsOutput:
    out.mkdir(parents=True)
    pages = out.parent / "pages"
    pages.mkdir(exist_ok=True)
    garden_url = "https://garden.test/notes"
    warc = _write_warc(pages / "garden.warc.gz", garden_url)
    garden = _sample(
        garden_url,
        [("text", "Garden notes"), ("text", "Tomatoes like a warm and sunny wall."),
         ("image", ("https://garden.test/tomato.jpg", _jpeg(64, 48, 1)))],
        # as extracted: 0 h1, 1 p kept, 2 p removed, 3 ad image removed, 4 tomato image, 5 p removed
        [{"position": 2, "kind": "text", "reason": "paragraph.special_chars", "text": "Subscribe now!!!", "url": None},
         {"position": 3, "kind": "image", "reason": "image.banned_url_word", "text": None,
          "url": "https://garden.test/ad.gif"},
         {"position": 5, "kind": "text", "reason": "paragraph.words_below_min", "text": "Share", "url": None}],
        metadata={"title": "Garden notes"}, provenance=warc, scores={"words": 9.0, "stopword_ratio": 0.42})
    html_file = pages / "long.html"
    html_file.write_text("<html><body><p>A page with very long metadata.</p></body></html>")
    long = _sample(
        "https://long.test/page",
        [("text", "A page with very long metadata. " * 8)],
        [],
        metadata={"title": "Long metadata", "canonical_url": LONG_VALUE, "description": LONG_TEXT,
                  "keywords": [f"k{i}" for i in range(200)]},
        provenance={"source": "html", "file": str(html_file)}, scores={"words": 48.0, "stopword_ratio": 0.31})
    emptied = _sample(
        "https://spam.test/emptied",
        [("image", ("https://spam.test/banner.jpg", _jpeg(64, 48, 3)))],
        [{"position": 0, "kind": "text", "reason": "paragraph.stopwords", "text": "Buy cheap pills online now",
          "url": None},
         {"position": 2, "kind": "text", "reason": "paragraph.stopwords", "text": "Best prices best pills",
          "url": None}],
        metadata={"title": "Emptied", "drop_reason": "doc.no_text_left",
                  "drop_causes": {"paragraph.stopwords": 2}},
        scores={"words": 0.0, "stopword_ratio": 0.05})
    plain = _sample("https://plain.test/", [("text", "Nothing was removed from this page at all.")], [],
                    metadata={"title": "Plain"}, scores={"words": 8.0, "stopword_ratio": 0.5})
    shard = _write_shard(out / "removals-00000.tar", [garden, long, plain])
    rejects: list[ShardInfo] = []
    if keep_rejects:
        rejects = [_write_shard(out / "rejects" / "rejects-00000.tar", [emptied])]
        write_manifest(out / "rejects", rejects)
    config = {"name": "removals", "shards": {"keep_rejects": keep_rejects},
              "filters": {"enabled": True, "languages": ["en"],
                          "paragraph": {"words": {"enabled": True, "min": 2, "max": 1000},
                                        "special_chars": {"enabled": True, "max": 0.3},
                                        "stopwords": {"enabled": True, "min": 0.3}},
                          "document": {"words": {"enabled": True, "min": 5, "max": 2000},
                                       "stopwords": {"enabled": True, "min": 0.35}},
                          "rules": {"min_images": 0, "max_images": 30}}}
    write_manifest(out, [shard], config=config)
    stats = Stats()
    stats.count("doc.in", 4)
    stats.count("doc.out", 3)
    stats.drop("doc.no_text_left")
    stats.count("image.in", 3)
    stats.count("image.out", 1)
    stats.drop("image.banned_url_word")
    stats.drop("image.in_dropped_doc")
    stats.count("paragraph.in", 8)
    stats.count("paragraph.out", 4)
    stats.drop("paragraph.stopwords", 2)
    stats.drop("paragraph.special_chars")
    stats.drop("paragraph.words_below_min")
    (out / "stats.json").write_text(json.dumps(stats.to_dict()))
    return RemovalsOutput(out, garden, long, emptied, plain)
