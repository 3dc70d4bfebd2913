"""loom's images on the hand-labelled pages of tests/data/extract_gold_images (real pages of
../shared/corpus whose own gold has no images): floors, so the figures cannot slip back."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.extract import ExtractRejected, extract_document
from tests.support.image_gold import load_gold, page_bytes, score

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def test_gold_labels_name_real_images():
    gold = load_gold()
    assert len(gold) >= 15 and sum(len(p["gold"]) for p in gold) >= 25
    assert all(all(g for g in p["gold"]) and p["note"] for p in gold)  # every image has URLs; every page a note


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_loom_finds_the_labelled_pictures():
    gold = load_gold()
    predictions = {}
    for page in gold:
        try:
            doc = extract_document(page_bytes(CORPUS, page), page["url"])
            predictions[page["name"]] = [n.src for n in doc.images]
        except ExtractRejected:
            predictions[page["name"]] = []
    scores = score(predictions, gold)
    # (measured: imgP 0.876, imgR 0.812, imgF1 0.843; before the container rules 0.818 / 0.871 / 0.843,
    # before this set existed 0.766 / 0.753. The recall lost is 7mind's header picture, which sits
    # in a <header> beside the text and which Readability.js, the maker of the scored gold, drops.)
    assert scores.recall >= 0.8 and scores.precision >= 0.85 and scores.f1 >= 0.83, scores
    assert scores.img0 == 1.0, scores
