from __future__ import annotations

import pytest

from builder.config import parse_config
from builder.context import RunContext
from builder.stats import Stats
from tests.factories import make_document


def test_books_balance_and_imbalance_is_reported():
    stats = Stats()
    stats.count("doc.in", 3)
    stats.count("doc.out", 1)
    stats.drop("doc.too_few_words", 2)
    assert stats.imbalances() == []
    stats.count("image.in", 5)
    stats.count("image.out", 3)
    assert stats.imbalances() == ["image: in=5 but out=3 + dropped=0"]


def test_drop_document_counts_its_images_and_keeps_the_reject():
    rejected = []
    ctx = RunContext(parse_config({}), rejects=lambda doc, reason: rejected.append((doc.id, reason)))
    doc = make_document(1, paragraphs=2, images=2)
    ctx.drop_document(doc, "too_few_words")
    assert ctx.stats.drops == {"doc.too_few_words": 1, "image.in_dropped_doc": 2}
    assert rejected == [(doc.id, "doc.too_few_words")]
    assert doc.metadata["drop_reason"] == "doc.too_few_words"


def test_merge_and_round_trip():
    a, b = Stats(), Stats()
    a.count("doc.in", 2)
    b.count("doc.in", 3)
    b.drop("image.http_404")
    b.error("x.warc: damaged")
    merged = Stats.from_dict(a.merge(b).to_dict())
    assert merged.counts["doc.in"] == 5 and merged.drops["image.http_404"] == 1
    assert merged.errors == ["x.warc: damaged"]


def test_reason_needs_a_unit():
    with pytest.raises(ValueError):
        Stats().drop("nounit")


def test_zero_drops_leave_no_entry_and_negative_is_an_error():
    stats = Stats()
    stats.drop("paragraph.in_dropped_doc", 0)
    assert stats.drops == {}
    with pytest.raises(ValueError):
        stats.drop("doc.x", -1)
