"""Read a processed token sequence back into its layout (texts and images) to compare with the nodes.

This is how the processor check proves ``<image>`` tokens sit exactly where the document's
images are: the token sequence is parsed into text runs and image-token blocks, and the
result must equal the document's own order of texts and images, with the same words.
"""

from __future__ import annotations

from typing import Any, Sequence

from builder.document import ImageNode, Node, TextNode
from builder.train.collator import FAKE_IMAGE_TOKEN
from builder.train.render import TEXT_SEPARATOR, neutralize


def _norm(text: str) -> str:
    return " ".join(text.split())


def expected_layout(nodes: Sequence[Node]) -> list[tuple[str, Any]]:
    """``[("text", "words ..."), ("images", 2), ...]``: consecutive texts and images merged."""
    layout: list[tuple[str, Any]] = []
    for node in nodes:
        if isinstance(node, TextNode):
            if layout and layout[-1][0] == "text":
                layout[-1] = ("text", layout[-1][1] + TEXT_SEPARATOR + neutralize(node.text))
            else:
                layout.append(("text", neutralize(node.text)))
        elif isinstance(node, ImageNode):
            if layout and layout[-1][0] == "images":
                layout[-1] = ("images", layout[-1][1] + 1)
            else:
                layout.append(("images", 1))
    return [(kind, _norm(v) if kind == "text" else v) for kind, v in layout if v != ""]


def observed_layout(ids: Sequence[int], processor: Any, tiles_per_image: int) -> tuple[list[tuple[str, Any]],
                                                                                           list[str]]:
    """Parse token ids into the same layout form; also return problems with the image blocks."""
    tokenizer = processor.tokenizer
    image_id = int(processor.image_token_id)
    fake_id = int(tokenizer.convert_tokens_to_ids(FAKE_IMAGE_TOKEN))
    seq_len = int(processor.image_seq_len)
    problems: list[str] = []
    segments: list[tuple[str, Any]] = []  # ("text", [ids]) | ("tile", n_image_tokens)
    text: list[int] = []
    previous = None
    for token in ids:
        if token == image_id:
            if text:
                segments.append(("text", text))
                text = []
            if previous == image_id:
                segments[-1] = ("tile", segments[-1][1] + 1)
            else:
                segments.append(("tile", 1))
        elif token == fake_id:
            if text:
                segments.append(("text", text))
                text = []
        else:
            text.append(token)
        previous = token
    if text:
        segments.append(("text", text))
    layout: list[tuple[str, Any]] = []
    for kind, value in segments:
        if kind == "tile":
            if value != seq_len:
                problems.append(f"an image block has {value} <image> tokens, expected {seq_len}")
            if layout and layout[-1][0] == "tiles":
                layout[-1] = ("tiles", layout[-1][1] + 1)
            else:
                layout.append(("tiles", 1))
        else:
            words = _norm(tokenizer.decode(value, skip_special_tokens=True))
            if words:
                layout.append(("text", words))
    result: list[tuple[str, Any]] = []
    for kind, value in layout:
        if kind == "tiles":
            if value % tiles_per_image:
                problems.append(f"{value} image blocks in a row: not a multiple of {tiles_per_image}")
            result.append(("images", value // tiles_per_image))
        else:
            result.append((kind, value))
    return result, problems


def describe(layout: list[tuple[str, Any]]) -> str:
    return " ".join(f"[{v} image(s)]" if k == "images" else f"text({len(v)} chars)" for k, v in layout)
