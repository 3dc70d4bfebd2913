"""Turn a run of document nodes into what an Idefics2 processor takes: a prompt and its images.

Texts are joined by a blank line; every image becomes one ``<image>`` placeholder at its own
position, so the processor expands it into image tokens exactly where the page had it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, Sequence

from builder.document import ImageNode, Node, TextNode

IMAGE_PLACEHOLDER = "<image>"
TEXT_SEPARATOR = "\n\n"
# Strings a tokenizer turns into control tokens. A page that happens to contain one ("<image>"
# in a tutorial) would otherwise add a phantom image or an early end of sequence.
CONTROL_STRINGS = ("<fake_token_around_image>", "<image>", "<end_of_utterance>", "<s>", "</s>", "<unk>",
                   "<pad>")


def neutralize(text: str) -> str:
    """Page text with control-token strings defused (``<image>`` → ``< image>``)."""
    if "<" not in text:
        return text
    for control in CONTROL_STRINGS:
        if control in text:
            text = text.replace(control, "< " + control[1:])
    return text


def render_plain(nodes: Sequence[Node], image_token: str = IMAGE_PLACEHOLDER,
                 sep: str = TEXT_SEPARATOR) -> str:
    """``"text\\n\\nmore<image>caption"``: texts separated by `sep`, images inline."""
    parts: list[str] = []
    previous_text = False
    for node in nodes:
        if isinstance(node, TextNode):
            if previous_text:
                parts.append(sep)
            parts.append(neutralize(node.text))
            previous_text = True
        else:
            parts.append(image_token)
            previous_text = False
    return "".join(parts)


def chat_messages(nodes: Sequence[Node], sep: str = TEXT_SEPARATOR) -> list[dict[str, Any]]:
    """A user turn (the nodes up to and including the first image) and an assistant turn (the rest).

    Interleaved pages have no dialogue; this is the usual way to make one: the model sees an
    image and its context, and learns to continue. A page without an image is one user turn.
    """
    first_image = next((i for i, n in enumerate(nodes) if isinstance(n, ImageNode)), None)
    split = len(nodes) if first_image is None else first_image + 1
    messages = [{"role": "user", "content": _content(nodes[:split], sep)}]
    if split < len(nodes):
        messages.append({"role": "assistant", "content": _content(nodes[split:], sep)})
    return messages


def _content(nodes: Sequence[Node], sep: str) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for node in nodes:
        if isinstance(node, ImageNode):
            content.append({"type": "image"})
        elif content and content[-1]["type"] == "text":
            content[-1]["text"] += sep + neutralize(node.text)
        else:
            content.append({"type": "text", "text": neutralize(node.text)})
    return content


@dataclass(slots=True)
class DecodedImageNode(ImageNode):
    """An image node that already carries its decoded picture (decoded once, used twice)."""

    picture: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, node: ImageNode) -> DecodedImageNode:
        return cls(node.src, node.alt, node.caption, node.info, node.scores, node.data, decode_image(node))


def decode_image(node: ImageNode) -> Any:
    """The node's bytes as an RGB Pillow image (raises on missing or undecodable bytes)."""
    from PIL import Image

    if isinstance(node, DecodedImageNode) and node.picture is not None:
        return node.picture
    if node.data is None:
        raise ValueError(f"image {node.src!r} has no bytes")
    with Image.open(io.BytesIO(node.data)) as im:
        im.load()
        return im.convert("RGB")
