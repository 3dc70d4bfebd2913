from __future__ import annotations

import json

import pytest

from builder.document import Document, ImageNode, Provenance, TextNode, document_key
from tests.factories import make_document


def test_json_round_trip_is_lossless():
    doc = make_document(3, paragraphs=3, images=2)
    doc.nodes[0].scores["stopword_ratio"] = 0.41
    doc.images[0].caption = "A caption"
    doc.provenance = Provenance(url=doc.url, fetched="2026-11-01T00:00:00Z", source="warc",
                                warc_file="a.warc.gz", warc_offset=1234, warc_length=5678)
    data = json.loads(json.dumps(doc.to_dict()))
    back = Document.from_dict(data)
    assert back == doc  # image bytes are not part of the JSON (compare=False)
    assert back.to_dict() == doc.to_dict()


def test_obelics_lists_are_aligned():
    doc = Document("k", "http://x/", [TextNode("a"), ImageNode("http://x/i.png"), TextNode("b")])
    data = doc.to_dict()
    assert data["texts"] == ["a", None, "b"]
    assert data["images"] == [None, "http://x/i.png", None]
    for text, image in zip(data["texts"], data["images"]):
        assert (text is None) != (image is None)


def test_from_dict_rejects_misaligned_positions():
    with pytest.raises(ValueError, match="exactly one"):
        Document.from_dict({"key": "k", "url": "u", "texts": ["a"], "images": ["x.png"]})
    with pytest.raises(ValueError, match="same length"):
        Document.from_dict({"key": "k", "url": "u", "texts": ["a"], "images": []})


def test_document_key_is_stable_and_dot_free():
    key = document_key("http://example.org/a.html", "f.warc.gz:10")
    assert key == document_key("http://example.org/a.html", "f.warc.gz:10")
    assert key != document_key("http://example.org/a.html", "f.warc.gz:11")
    assert "." not in key and len(key) == 20
