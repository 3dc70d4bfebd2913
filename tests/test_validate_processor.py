"""Processor check and length policy: images exactly where the documents have them, within max_length."""

from __future__ import annotations

from typing import Any

import pytest

from builder.document import Document, ImageNode, TextNode
from builder.train.fit import SequenceFitter
from builder.validate.config import ValidateConfig
from builder.validate.layout import expected_layout, observed_layout
from builder.validate.processor_check import check_processor
from builder.validate.synthetic import synthetic_document

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def processor() -> Any:
    from builder.validate.tiny import build_tiny_processor

    return build_tiny_processor()


@pytest.fixture(scope="module")
def split_processor() -> Any:
    from builder.validate.tiny import build_tiny_processor

    return build_tiny_processor(do_image_splitting=True)


def _checks(docs: list[Document], processor: Any, **config: Any) -> tuple[dict[str, Any], Any]:
    outcome = check_processor(docs, processor, ValidateConfig(**config))
    return {c.name: c for c in outcome.checks}, outcome


def _long_doc() -> Document:
    return synthetic_document(99, n_images=3, words=60)


def test_good_documents_pass(processor: Any) -> None:
    docs = [synthetic_document(i, n_images=i % 3) for i in range(6)]
    checks, outcome = _checks(docs, processor)
    assert all(c.ok for c in checks.values()), {n: c.problems for n, c in checks.items()}
    assert len(outcome.sequences) == 6
    assert [s.n_images for s in outcome.sequences] == [i % 3 for i in range(6)]
    assert outcome.length_counts["fit"] == 6


def test_image_splitting_gives_five_blocks_per_image(split_processor: Any) -> None:
    checks, outcome = _checks([synthetic_document(1, n_images=2)], split_processor, image_splitting=True)
    assert checks["processor.inputs"].ok, checks["processor.inputs"].problems
    assert checks["processor.inputs"].details["tiles_per_image"] == 5
    assert outcome.sequences[0].length > 2 * 5 * split_processor.image_seq_len


def test_longer_than_max_length_fails_under_policy_fail(processor: Any) -> None:
    doc = _long_doc()
    checks, _ = _checks([doc, synthetic_document(1)], processor, max_length=128, length_policy="fail")
    assert not checks["processor.max_length"].ok
    (problem,) = checks["processor.max_length"].problems
    assert problem.startswith(f"{doc.id}: ") and "> max_length 128" in problem


def test_split_keeps_every_node_and_never_cuts_images(processor: Any) -> None:
    doc = _long_doc()
    checks, outcome = _checks([doc], processor, max_length=128, length_policy="split")
    assert all(c.ok for c in checks.values()), {n: c.problems for n, c in checks.items()}
    assert outcome.length_counts["split"] == 1 and len(outcome.sequences) > 1
    assert all(s.length <= 128 for s in outcome.sequences)
    nodes = [n for s in outcome.sequences for n in s.nodes]
    assert [n.src for n in nodes if isinstance(n, ImageNode)] == [n.src for n in doc.images]
    assert " ".join(n.text for n in nodes if isinstance(n, TextNode)).split() == doc.text(" ").split()


def test_truncate_keeps_the_first_sequence_and_counts_it_cut(processor: Any) -> None:
    checks, outcome = _checks([_long_doc()], processor, max_length=128, length_policy="truncate")
    assert checks["processor.max_length"].ok
    assert outcome.length_counts["cut"] == 1 and len(outcome.sequences) == 1


def test_drop_policy_counts_the_drop(processor: Any) -> None:
    checks, outcome = _checks([_long_doc(), synthetic_document(1)], processor, max_length=128,
                              length_policy="drop")
    assert checks["processor.max_length"].ok
    assert outcome.length_counts["dropped"] == 1 and len(outcome.sequences) == 1


def test_an_image_longer_than_max_length_cannot_fit(split_processor: Any) -> None:
    doc = synthetic_document(3, n_images=1)
    # With splitting one image is 5 blocks of 4 <image> tokens plus 6 fake tokens: 26 > 16.
    checks, outcome = _checks([doc], split_processor, max_length=16, length_policy="split",
                              image_splitting=True)
    assert not checks["processor.max_length"].ok
    assert "one image takes" in checks["processor.max_length"].problems[0]
    assert outcome.length_counts["dropped"] == 1


def test_a_paragraph_longer_than_max_length_is_split_between_words(processor: Any) -> None:
    text = " ".join(["photograph"] * 300)
    fitter = SequenceFitter(processor, 64, "split")
    fitted = fitter.fit([TextNode(text)])
    assert fitted.outcome == "split" and len(fitted.sequences) > 2
    pieces = [n.text for seq in fitted.sequences for n in seq]
    assert all(set(p.split()) == {"photograph"} for p in pieces)
    assert sum(len(p.split()) for p in pieces) == 300
    assert all(fitter.length(seq) <= 64 for seq in fitted.sequences)


def test_layout_reader_notices_a_moved_image(processor: Any) -> None:
    doc = synthetic_document(5, n_images=1)
    ids = processor(text=["Hello there<image>and after"], images=[[_picture()]])["input_ids"][0]
    nodes = [TextNode("Hello there"), doc.images[0], TextNode("and after")]
    observed, problems = observed_layout(ids, processor, 1)
    assert observed == expected_layout(nodes) and not problems
    moved = [TextNode("Hello there"), TextNode("and after"), doc.images[0]]
    assert observed != expected_layout(moved)
    block = [i for i, t in enumerate(ids) if t == processor.image_token_id]
    shortened = ids[: block[0]] + ids[block[0] + 1:]  # one <image> token too few
    assert observed_layout(shortened, processor, 1)[1]


def test_undecodable_image_is_a_processor_problem(processor: Any) -> None:
    doc = synthetic_document(7, n_images=1)
    doc.images[0].data = b"not an image"
    checks, _ = _checks([doc], processor)
    assert not checks["processor.inputs"].ok
    assert "do not decode" in checks["processor.inputs"].problems[0]


def _picture() -> Any:
    from PIL import Image

    return Image.new("RGB", (50, 40), (10, 200, 30))
