"""Extraction rules and quality on real third-party pages (../shared/corpus; skipped without it)."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pytest

from builder.extract import extract_document
from builder.stats import Stats

FAKEHOST = "http://fakehost/test/page.html"


def readability_page(shared: Path, name: str):
    stats = Stats()
    body = (shared / "corpus/html/readability/test-pages" / name / "source.html").read_bytes()
    return extract_document(body, FAKEHOST, stats=stats), stats


def test_base_element_relative_urls(shared_dir):
    doc, stats = readability_page(shared_dir, "base-url-base-element-relative")
    assert [i.src for i in doc.images] == [
        "http://fakehost/test/base/foo/bar/baz.png",  # "foo/bar/baz.png" and "./foo/bar/baz.png": one image,
        "http://fakehost/test/base/foo/bar/baz.png",  # shown in two paragraphs
        "http://fakehost/foo/bar/baz.png",
        "http://test/foo/bar/baz.png",
        "https://test/foo/bar/baz.png",
    ]
    assert stats.drops["image.duplicate_in_page"] == 0


def test_data_uri_placeholders_and_lazy_srcset(shared_dir):
    doc, stats = readability_page(shared_dir, "data-url-image")
    assert len(doc.images) == 1 and doc.images[0].src.startswith("https://i.kinja-img.com/")
    assert ",w_800/" in doc.images[0].src  # the widest srcset candidate, not the 80 px one
    assert stats.drops["image.data_uri"] == 4


def test_lazy_images_of_a_long_article(shared_dir):
    doc, _ = readability_page(shared_dir, "lazy-image-2")
    assert len(doc.images) >= 50
    assert all(i.src.startswith("https://i.kinja-img.com/") for i in doc.images)


def test_social_buttons_are_not_text(shared_dir):
    doc, _ = readability_page(shared_dir, "social-buttons")
    text = doc.text().lower()
    assert "lorem ipsum" in text
    assert "share" not in text and "tweet" not in text


def test_figures_keep_their_captions(shared_dir):
    doc, _ = readability_page(shared_dir, "nytimes-3")
    captioned = [i for i in doc.images if i.caption]
    assert len(captioned) >= 3
    for image in captioned:
        k = doc.nodes.index(image)
        assert doc.nodes[k + 1].text == image.caption


def test_trafilatura_pages_in_odd_encodings(shared_dir):
    root = shared_dir / "corpus/html/trafilatura/eval_gz"
    body = gzip.decompress((root / "bmz.de-schulze.html.gz").read_bytes())
    doc = extract_document(body, "https://www.bmz.de/")
    assert "\ufffd" not in doc.text()


@pytest.fixture(scope="module")
def scorer(shared_dir):
    """The eval's own scorer (../shared/eval/extraction), imported as its modules expect."""
    pytest.importorskip("lxml")
    folder = str(shared_dir / "eval" / "extraction")
    sys.path.insert(0, folder)
    try:
        import corpus
        import score
    finally:
        sys.path.remove(folder)
    return corpus, score


def test_dev_set_quality_does_not_regress(shared_dir, scorer):
    """Quality on the dev pages, scored by the eval's scorer; floors a little under today's values."""
    corpus, score = scorer
    root = str(shared_dir / "corpus")
    pages = corpus.load_pages(corpus.SPLITS, "dev", "ac")
    rows = []
    for page in pages:
        raw = corpus.read_bytes(root, page.path)
        try:
            pred = extract_document(raw, page.url).to_dict()
        except Exception as exc:  # a rejection scores as an empty prediction
            pred = {"texts": [], "images": [], "rejected": str(exc)}
        rows.append(score.score_page(root, page, {**pred, "nodes": corpus.to_nodes(pred)}))
    agg = score.aggregate(rows)
    floors = {
        "a_text_F": 0.97, "c_mean": 0.90, "img_F": 0.92, "img_R": 0.95, "img_none": 0.92,
        "img_order": 0.98, "img_ctx": 0.98,
    }
    below = {k: round(agg[k], 3) for k, floor in floors.items() if agg[k] < floor}
    assert not below, f"below the floor: {below}; all: {agg}"
