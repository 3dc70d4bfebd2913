"""Removal records (shard format 1.2): every node a stage removes is traceable to its document."""

from __future__ import annotations

import json

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, TextNode
from builder.shards.reader import read_documents
from builder.shards.writer import ShardWriter, sample_json
from builder.validate.integrity import IntegrityChecker
from builder.validate.schema import sample_problems
from tests.factories import make_document


def test_positions_are_as_extracted_across_several_removals() -> None:
    doc = make_document(1, paragraphs=3, images=2)  # t0 i1 t2 i3 t4
    t0, i1, t2, i3, t4 = doc.nodes
    ctx = RunContext(config=LoomConfig())
    ctx.remove_nodes(doc, {id(t2): "paragraph.stopwords"})
    ctx.remove_nodes(doc, {id(i3): "image.dns_error", id(t0): "paragraph.words"})
    assert doc.nodes == [i1, t4]
    assert [(r.position, r.kind, r.reason) for r in doc.removed] == [
        (2, "text", "paragraph.stopwords"), (0, "text", "paragraph.words"), (3, "image", "image.dns_error")]
    assert doc.removed[0].text == t2.text and doc.removed[0].url is None
    assert doc.removed[2].url == i3.src and doc.removed[2].text is None
    assert doc.node_positions() == [1, 4]
    assert ctx.stats.drops == {"paragraph.stopwords": 1, "paragraph.words": 1, "image.dns_error": 1}
    assert doc.removal_reasons("text") == {"paragraph.stopwords": 1, "paragraph.words": 1}


def test_removed_list_in_the_sample_json_round_trips_and_meets_the_spec(tmp_path) -> None:
    doc = make_document(2, paragraphs=2, images=1)
    RunContext(config=LoomConfig()).remove_nodes(doc, {id(doc.nodes[0]): "paragraph.special_chars"})
    data = sample_json(doc)
    assert data["removed"] == [{"position": 0, "kind": "text", "reason": "paragraph.special_chars",
                                "text": doc.removed[0].text, "url": None}]
    assert sample_problems(json.loads(json.dumps(data)), doc.id) == []
    with ShardWriter(tmp_path, "p") as writer:
        writer.write(doc)
    (back,) = read_documents(tmp_path)
    assert back.removed == doc.removed
    # A later removal (rethreshold on the shards) keeps counting positions as extracted.
    RunContext(config=LoomConfig()).remove_nodes(back, {id(back.nodes[-1]): "paragraph.words"})
    assert back.removed[-1].position == 2  # t0 i1 t2: t0 went first, t2 keeps its place


def test_url_only_images_are_written_without_members_and_validate(tmp_path) -> None:
    doc = make_document(3, paragraphs=2, images=2)
    for node in doc.images:
        node.data = None  # images.enabled: false
    data = sample_json(doc)
    assert [ref for ref in data["images"] if ref] == [n.src for n in doc.images]
    with ShardWriter(tmp_path, "p") as writer:
        writer.write(doc)
    result = IntegrityChecker(tmp_path).run()
    assert result.checks[1].ok, result.checks[1].problems  # integrity.samples
    (back,) = read_documents(tmp_path)
    assert [n.src for n in back.images] == [n.src for n in doc.images]
    assert all(n.data is None for n in back.images)


def test_bad_removal_records_are_named() -> None:
    doc = Document("k", "https://example.org/", [TextNode("A paragraph that stays.")])
    data = doc.to_dict()
    data["removed"] = [{"position": 0, "kind": "text", "reason": "paragraph.words", "text": "gone", "url": None},
                       {"position": 0, "kind": "image", "reason": "nodot", "text": None, "url": None},
                       {"position": 9, "kind": "video", "reason": "image.x"}]
    problems = "\n".join(sample_problems(data, "k"))
    assert "removed twice" in problems
    assert "needs its url" in problems
    assert "is not '<unit>.<why>'" in problems
    assert "kind 'video'" in problems
    assert "go past" in problems


def test_a_document_whose_fetches_all_failed_is_dropped_for_that_cause() -> None:
    """Offline, every fetch fails with image.dns_error: the document is no_image_left, not too_few_images."""
    from filters.config import FiltersConfig
    from filters.document_rules import DocumentRulesStage

    docs = [make_document(i, paragraphs=3, images=3 if i == 2 else 2) for i in range(3)]
    ctx = RunContext(config=LoomConfig(), rejects=lambda doc, reason: None)
    for doc in docs[:2]:  # what the image stage does with failed fetches
        ctx.remove_nodes(doc, {id(n): "image.dns_error" for n in doc.images})
    a, b, c = docs[2].images  # an opted-out page whose third image also failed to resolve
    ctx.remove_nodes(docs[2], {id(a): "image.noai", id(b): "image.noai", id(c): "image.dns_error"})
    assert list(DocumentRulesStage(FiltersConfig())(docs, ctx)) == []
    assert ctx.stats.drops["doc.no_image_left"] == 3 and "doc.too_few_images" not in ctx.stats.drops
    assert ctx.stats.causes["doc.no_image_left"] == {"image.dns_error": 2, "image.noai": 1}
    assert docs[0].metadata["drop_causes"] == {"image.dns_error": 2}
    assert docs[2].metadata["drop_causes"] == {"image.noai": 2, "image.dns_error": 1}
