"""The Stage contract: every document stage of a run is a `Stage`, opened before and closed after its stream."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from builder.config import parse_config
from builder.context import RunContext
from builder.document import Document, TextNode
from builder.images.stage import ImageStage
from builder.partition_tasks import document_stages
from builder.stage import FAILURES_KEY, Stage, close_stages, run_stages


class Upper(Stage):
    name = "upper"

    def __init__(self) -> None:
        self.events: list[str] = []

    def open(self, ctx: RunContext) -> None:
        self.events.append("open")

    def __call__(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
        for doc in docs:
            for node in doc.nodes:
                if isinstance(node, TextNode):
                    node.text = node.text.upper()
            yield doc

    def close(self) -> None:
        self.events.append("close")


def test_every_stage_of_a_run_is_a_stage():
    config = parse_config({"sources": [{"type": "html", "paths": ["."]}]})
    stages = [*document_stages(config), ImageStage(config.images)]  # images: the fetch phase's stage
    assert [s.name for s in stages] == ["filters.text", "filters.image_urls", "filters.images",
                                        "filters.document_rules", "images"]
    assert all(isinstance(s, Stage) for s in stages)
    close_stages(stages)  # nothing opened: closing is harmless


def test_stages_are_opened_before_the_stream_and_closed_after():
    ctx = RunContext(parse_config({}))
    stage = Upper()
    docs = run_stages([stage], [Document(id="k", url="u", nodes=[TextNode("quiet")])], ctx)
    assert stage.events == ["open"]
    assert [d.nodes[0].text for d in docs] == ["QUIET"]
    close_stages([stage])
    assert stage.events == ["open", "close"]


def test_remove_and_reject_drop_with_a_reason_or_only_note_it_in_annotate_mode():
    def doc() -> Document:
        return Document(id="k", url="u", nodes=[TextNode("keep"), TextNode("spam spam")])

    stage = Upper()
    ctx = RunContext(parse_config({}))
    d = doc()
    stage.remove(d, ctx, {id(d.nodes[1]): "paragraph.spam"})
    assert [n.text for n in d.nodes] == ["keep"] and [r.reason for r in d.removed] == ["paragraph.spam"]
    assert stage.reject(d, ctx, "doc.too_few_images") is True
    assert ctx.stats.drops == {"paragraph.spam": 1, "doc.too_few_images": 1}

    stage.drop = False  # annotate mode: nothing removed, every reason noted on the document
    ctx = RunContext(parse_config({}))
    d = doc()
    stage.remove(d, ctx, {id(d.nodes[1]): "paragraph.spam"})
    assert stage.reject(d, ctx, "doc.too_few_images") is False
    assert len(d.nodes) == 2 and not ctx.stats.drops
    assert d.metadata[FAILURES_KEY] == {"paragraph.spam": 1, "doc.too_few_images": 1}
