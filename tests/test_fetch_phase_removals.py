"""Images the fetch phase could not get are removed through the one removal path.

The assemble phase joins each image with what its fetch job got; an image that got nothing
must be recorded in its document's `removed` list with the fetch's reason, and a document
emptied that way is dropped for that root cause (``doc.no_image_left``), as for any other
image removal.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from builder.cli import main as loom_main
from builder.shards.reader import read_documents
from tests.factories import image_bytes
from tests.support.http_server import LoopbackServer, static, status

SENTENCES = [
    "The harbour was quiet in the early morning, and the boats lay along the wall.",
    "Their crews sorted the catch and mended the nets for the next tide.",
    "A baker on the corner opened his shutters and set out loaves of warm bread.",
    "Children walked to school past the market, where traders were unloading crates of fruit.",
    "By noon the tourists had arrived, and the cafes along the front were full of chatter.",
    "In the afternoon a breeze came off the sea and the fishermen went back to their boats.",
    "The old lighthouse keeper told stories about storms that had wrecked ships on the rocks.",
    "Evening brought the smell of grilled fish and the sound of music from the square.",
    "When night fell, the lights of the village were reflected in the dark water of the bay.",
]


def _paragraphs(start: int) -> str:
    return "".join(f"<p>{SENTENCES[(start + i) % 9]}</p>" for i in range(3))


def _page_warc(path: Path, pages: dict[str, bytes]) -> Path:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, body in pages.items():
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=headers))
    return path


def test_images_the_fetch_phase_could_not_get_are_recorded_and_named_as_the_cause(tmp_path):
    with LoopbackServer("127.0.0.43") as server:
        host = f"{server.host}:{server.port}"
        server.route("/ok.jpg", static(image_bytes(400, 300, fmt="JPEG"), "image/jpeg"))
        server.route("/gone.jpg", status(404))
        server.route("/gone-too.jpg", status(404))
        warc = _page_warc(tmp_path / "pages.warc.gz", {
            f"http://{host}/kept.html":
                f"<html><body><article>{_paragraphs(0)}<img src='/ok.jpg'>{_paragraphs(3)}"
                f"<img src='/gone.jpg'>{_paragraphs(6)}</article></body></html>".encode(),
            f"http://{host}/emptied.html":
                f"<html><body><article>{_paragraphs(1)}<img src='/gone-too.jpg'>{_paragraphs(4)}"
                "</article></body></html>".encode(),
        })
        config = {
            "name": "fetch-removals",
            "sources": [{"type": "warc", "paths": [str(warc)]}],
            "dedup": {"enabled": False},
            "shards": {"keep_rejects": True},
            "images": {"fetch": {"allow_networks": ["127.0.0.0/8"], "retries": 0, "total_timeout_s": 3.0,
                                 "robots": {"obey": False}}},
        }
        (tmp_path / "config.json").write_text(json.dumps(config))
        assert loom_main(["run", str(tmp_path / "config.json"), "--out", str(tmp_path / "out")]) == 0

    (kept,) = read_documents(tmp_path / "out")
    assert len(kept.images) == 1
    gone = [r for r in kept.removed if r.kind == "image"]
    assert [(r.reason, r.url.rsplit("/", 1)[1]) for r in gone] == [("image.http_404", "gone.jpg")]
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["drops"]["image.http_404"] == 2
    assert stats["drop_causes"]["doc.no_image_left"] == {"image.http_404": 1}
    (rejected,) = read_documents(tmp_path / "out" / "rejects")
    assert rejected.metadata["drop_causes"] == {"image.http_404": 1}
    assert [r.reason for r in rejected.removed if r.kind == "image"] == ["image.http_404"]
