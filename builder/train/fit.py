"""Length policy: make a document's token sequence fit `max_length` without cutting image tokens.

A document is cut only between nodes (or, for one text paragraph longer than the whole
budget, between words of that paragraph). An image's tokens are never cut: Idefics2 rejects
a sequence whose image tokens do not match its images. Policies for a too-long document:

- ``split``: several sequences, each within the budget, together holding every node;
- ``truncate``: the first of those sequences only (the document is "cut");
- ``drop``: no sequence (the document is "dropped");
- ``fail``: no sequence, and the outcome says the document was too long.

Lengths are exact: they come from the processor's own tokenisation of the rendered prompt
(image placeholders expanded), not from an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

from builder.document import ImageNode, Node, TextNode
from builder.errors import LoomError
from builder.train.render import render_plain

_SPECIAL_MARGIN = 4  # BOS, EOS and the like that a tokenizer adds around a sequence
LengthPolicy = Literal["split", "truncate", "drop", "fail"]
POLICIES: tuple[str, ...] = ("split", "truncate", "drop", "fail")


@dataclass
class Fitted:
    """What the policy made of one document."""

    sequences: list[list[Node]] = field(default_factory=list)
    outcome: str = "fit"  # fit | split | cut | dropped | too_long
    length: int = 0  # tokens of the whole document as one sequence (an upper bound when it surely fit)
    reason: str = ""


class Unfittable(LoomError):
    """One node alone needs more tokens than the budget and cannot be split."""


class SequenceFitter:
    def __init__(self, processor: Any, max_length: int, policy: str = "split",
                 render: Callable[[Sequence[Node]], str] | None = None) -> None:
        if policy not in POLICIES:
            raise ValueError(f"length policy must be one of {POLICIES}, got {policy!r}")
        self.processor = processor
        self.max_length = max_length
        self.policy = policy
        self.render = render or (lambda nodes: render_plain(nodes, processor.image_token))
        self._image_tokens: int | None = None

    def length(self, nodes: Sequence[Node]) -> int:
        """Exact token count of `nodes` rendered and expanded by the processor (no image decoding)."""
        ids = self.processor(text=[self.render(nodes)])["input_ids"][0]
        return len(ids)

    def lengths(self, many: Sequence[Sequence[Node]]) -> list[int]:
        """`length` of several node runs with one tokenizer call (what a batch needs)."""
        if not many:
            return []
        return [len(ids) for ids in self.processor(text=[self.render(n) for n in many])["input_ids"]]

    def upper_bound(self, nodes: Sequence[Node]) -> int:
        """A length no tokenisation of `nodes` can exceed, without tokenising.

        Byte-level BPE and SentencePiece with byte fallback both make at most one token per
        UTF-8 byte (SentencePiece adds one for its leading "▁"); each image costs at most its
        standalone block; a few more for BOS/EOS.
        """
        if self._image_tokens is None:
            # Each image is <fake> + image_seq_len x <image> + <fake>, five times with splitting.
            tiles = 5 if getattr(self.processor.image_processor, "do_image_splitting", False) else 1
            self._image_tokens = tiles * (int(self.processor.image_seq_len) + 2)
        n_images = sum(isinstance(n, ImageNode) for n in nodes)
        text = self.render(nodes).replace(self.processor.image_token, "")
        return len(text.encode("utf-8")) + 1 + n_images * self._image_tokens + _SPECIAL_MARGIN

    def fit_many(self, many: Sequence[Sequence[Node]]) -> list[Fitted]:
        """`fit` for a batch: documents that surely fit skip tokenisation; the rest share one call."""
        unsure = [nodes for nodes in many if nodes and self.upper_bound(nodes) > self.max_length]
        totals = dict(zip(map(id, unsure), self.lengths(unsure), strict=True))
        results = []
        for nodes in many:
            if nodes and id(nodes) not in totals:
                results.append(Fitted([list(nodes)], "fit", self.upper_bound(nodes)))
            else:
                results.append(self.fit(nodes, totals.get(id(nodes))))
        return results

    def fit(self, nodes: Sequence[Node], total: int | None = None) -> Fitted:
        """Apply the policy to one document's nodes (`total`: their length, if already known)."""
        nodes = list(nodes)
        if not nodes:
            return Fitted([], "dropped", 0, "empty document")
        if total is None:
            total = self.length(nodes)
        if total <= self.max_length:
            return Fitted([nodes], "fit", total)
        too_long = f"{total} tokens > max_length {self.max_length}"
        if self.policy == "fail":
            return Fitted([], "too_long", total, too_long)
        if self.policy == "drop":
            return Fitted([], "dropped", total, too_long)
        try:
            chunks = self._chunks(nodes)
        except Unfittable as exc:
            return Fitted([], "dropped", total, str(exc))
        if self.policy == "truncate":
            return Fitted(chunks[:1], "cut", total, too_long)
        return Fitted(chunks, "split", total, too_long)

    def _chunks(self, nodes: list[Node]) -> list[list[Node]]:
        pieces: list[Node] = []
        for node in nodes:
            if self.length([node]) <= self.max_length:
                pieces.append(node)
            elif isinstance(node, TextNode):
                pieces.extend(self._split_text(node))
            else:
                assert isinstance(node, ImageNode)
                raise Unfittable(
                    f"one image takes {self.length([node])} tokens, more than max_length {self.max_length}"
                )
        chunks: list[list[Node]] = []
        current: list[Node] = []
        for node in pieces:
            if current and self.length([*current, node]) > self.max_length:
                chunks.append(current)
                current = [node]
            else:
                current.append(node)
        chunks.append(current)
        return chunks

    def _split_text(self, node: TextNode) -> list[TextNode]:
        """Split one over-long paragraph between words into pieces that each fit."""
        tokenizer = self.processor.tokenizer
        overhead = self.length([TextNode("", node.tag)])
        budget = max(1, self.max_length - overhead - 2)
        while True:
            enc = tokenizer(node.text, add_special_tokens=False, return_offsets_mapping=True)
            offsets = enc["offset_mapping"]
            pieces: list[TextNode] = []
            start_tok = 0
            start_char = 0
            while start_tok < len(offsets):
                end_tok = min(start_tok + budget, len(offsets))
                end_char = offsets[end_tok - 1][1] if end_tok == len(offsets) else offsets[end_tok][0]
                if end_tok < len(offsets):
                    # Back off to the last space inside the piece, so words stay whole.
                    space = node.text.rfind(" ", start_char + 1, end_char)
                    if space > start_char:
                        end_char = space
                        while end_tok > start_tok + 1 and offsets[end_tok - 1][0] >= end_char:
                            end_tok -= 1
                text = node.text[start_char:end_char].strip()
                if text:
                    pieces.append(TextNode(text, node.tag, dict(node.scores)))
                start_tok, start_char = end_tok, end_char
            if all(self.length([p]) <= self.max_length for p in pieces) or budget == 1:
                if budget == 1 and any(self.length([p]) > self.max_length for p in pieces):
                    raise Unfittable(f"max_length {self.max_length} cannot hold even one word")
                return pieces
            budget = max(1, budget * 3 // 4)
