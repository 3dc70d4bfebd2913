"""ExtractStage: pages in, documents out, and the books balance."""

from __future__ import annotations

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Provenance
from builder.extract import ExtractConfig
from builder.extract.stage import ExtractStage
from builder.sources.page import Page

PROSE = "A paragraph of plain prose that reads like an article, with commas, clauses, and enough words. "


def html(body: str) -> bytes:
    return f"<html><body><article><p>{PROSE}</p>{body}<p>{PROSE}</p></article></body></html>".encode()


def run(pages, config: ExtractConfig | None = None):
    ctx = RunContext(config=LoomConfig())
    docs = list(ExtractStage(config)(pages, ctx))
    return docs, ctx.stats


def test_documents_carry_provenance_and_image_counts_balance():
    prov = Provenance(url="https://example.org/a", source="warc", warc_file="x.warc.gz", warc_offset=10)
    pages = [
        Page("https://example.org/a", html('<img src="a.jpg"><img src="a.jpg"><img src="data:image/png;base64,xx">'),
             {"content-type": "text/html"}, prov),
        Page("https://example.org/b", html('<img src="b.jpg" width="1" height="1"><img src="c.jpg">')),
    ]
    docs, stats = run(pages)
    assert [d.url for d in docs] == ["https://example.org/a", "https://example.org/b"]
    assert docs[0].provenance is prov
    assert stats.counts["doc.in"] == 2
    assert stats.counts["image.in"] == 5
    assert stats.drops == {"image.duplicate_in_page": 1, "image.data_uri": 1, "image.tracking_pixel": 1}
    kept = sum(len(d.images) for d in docs)
    assert kept == 2
    assert stats.counts["image.in"] == kept + stats.dropped("image")


def test_rejections_are_counted_and_the_stream_goes_on():
    pages = [
        Page("https://example.org/big", html("x" * 2000)),
        Page("https://example.org/pdf", b"%PDF-1.4 ...", {"content-type": "application/pdf"}),
        Page("https://example.org/empty", b"<html><body></body></html>"),
        Page("https://example.org/broken", None),  # a source bug: no body at all
        Page("https://example.org/ok", html("")),
    ]
    docs, stats = run(pages, ExtractConfig(max_page_bytes=1500))
    assert [d.url for d in docs] == ["https://example.org/ok"]
    assert stats.counts["doc.in"] == 5
    assert stats.drops == {
        "doc.page_too_large": 1,
        "doc.not_html": 1,
        "doc.empty": 1,
        "doc.extract_error": 1,
    }
    assert stats.counts["doc.in"] == len(docs) + stats.dropped("doc")


def test_stage_is_lazy():
    def pages():
        yield Page("https://example.org/1", html(""))
        raise AssertionError("the stage read ahead")

    stream = ExtractStage()(pages(), RunContext(config=LoomConfig()))
    assert next(stream).url == "https://example.org/1"
