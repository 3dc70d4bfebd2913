"""extract_document pauses the cycle collector for the page and leaves it as it found it."""

from __future__ import annotations

import gc

import pytest

from builder.extract import ExtractRejected, extract_document

PAGE = b"<html><body><article><p>" + b"A paragraph of the article, long enough to keep. " * 4 + b"</p></article>"


def test_collector_on_before_and_after_a_page():
    assert gc.isenabled()
    doc = extract_document(PAGE, "https://example.org/a.html")
    assert doc.nodes and gc.isenabled()


def test_collector_on_again_after_a_rejected_page():
    with pytest.raises(ExtractRejected):
        extract_document(b"%PDF-1.4 not a page", "https://example.org/a.pdf")
    assert gc.isenabled()


def test_collector_left_off_when_the_caller_turned_it_off():
    gc.disable()
    try:
        extract_document(PAGE, "https://example.org/a.html")
        assert not gc.isenabled()
    finally:
        gc.enable()
