"""Idefics2 collator: documents in, a padded training batch (with masked labels) out."""

from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

from builder.document import Document, ImageNode, Node
from builder.train.fit import SequenceFitter
from builder.train.render import DecodedImageNode, chat_messages, decode_image, render_plain

IGNORE_INDEX = -100  # the only label value the loss ignores
FAKE_IMAGE_TOKEN = "<fake_token_around_image>"


class Idefics2Collator:
    """Turns a list of `Document`s into ``input_ids, attention_mask, pixel_values,
    pixel_attention_mask, labels``.

    - Length: each document goes through a `SequenceFitter` (``policy``: split, truncate,
      drop, fail), so no sequence exceeds ``max_length`` and no image token is cut; with
      ``split`` one document may give several rows.
    - Labels: a copy of ``input_ids`` with padding, ``<image>`` and
      ``<fake_token_around_image>`` set to -100 (the loss would otherwise learn to predict them).
    - ``chat=True`` formats each sequence as a User turn (up to its first image) and an
      Assistant turn (the rest) with the processor's chat template, and masks the User turn.
    - An image whose bytes do not decode is left out of its sequence and counted in
      ``counts["image.undecodable"]`` rather than stopping the training run.
    """

    def __init__(self, processor: Any, max_length: int = 2048, policy: str = "truncate",
                 chat: bool = False, add_eos: bool = True) -> None:
        self.processor = processor
        self.max_length = max_length
        self.chat = chat
        self.add_eos = add_eos
        tokenizer = processor.tokenizer
        self.image_token_id = int(processor.image_token_id)
        self.fake_token_id = int(tokenizer.convert_tokens_to_ids(FAKE_IMAGE_TOKEN))
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if chat and not getattr(processor, "chat_template", None):
            raise ValueError("chat=True needs a processor with a chat template")
        self.fitter = SequenceFitter(processor, max_length, policy, render=self.render)
        self.counts: Counter[str] = Counter()

    def render(self, nodes: Sequence[Node]) -> str:
        if self.chat:
            text = self.processor.apply_chat_template(chat_messages(nodes), tokenize=False)
        else:
            text = render_plain(nodes, self.processor.image_token)
        if self.add_eos and self.processor.tokenizer.eos_token:
            text += self.processor.tokenizer.eos_token
        return text

    def fit_documents(self, docs: Sequence[Document]) -> list[list[Node]]:
        sequences: list[list[Node]] = []
        for fitted in self.fitter.fit_many([self.decoded_nodes(doc.nodes) for doc in docs]):
            self.counts[f"doc.{fitted.outcome}"] += 1
            sequences.extend(fitted.sequences)
        return sequences

    def __call__(self, docs: Sequence[Document]) -> Any:
        sequences = self.fit_documents(docs)
        if not sequences:
            raise ValueError(f"no document of this batch fits max_length {self.max_length}")
        return self.collate(sequences)

    def collate(self, sequences: Sequence[Sequence[Node]]) -> Any:
        """Processor inputs and labels for already-fitted node sequences."""
        texts = [self.render(seq) for seq in sequences]
        images = [[decode_image(n) for n in seq if isinstance(n, ImageNode)] for seq in sequences]
        tokenizer = self.processor.tokenizer
        side, tokenizer.padding_side = tokenizer.padding_side, "right"
        try:
            kwargs: dict[str, Any] = {"text": texts, "padding": "longest", "return_tensors": "pt"}
            if any(images):
                kwargs["images"] = images
            batch = self.processor(**kwargs)
        finally:
            tokenizer.padding_side = side
        batch["labels"] = self.labels(batch, sequences)
        return batch

    def labels(self, batch: Any, sequences: Sequence[Sequence[Node]]) -> Any:
        input_ids = batch["input_ids"]
        labels = input_ids.clone()
        labels[batch["attention_mask"] == 0] = IGNORE_INDEX
        labels[input_ids == self.image_token_id] = IGNORE_INDEX
        labels[input_ids == self.fake_token_id] = IGNORE_INDEX
        if self.chat:
            for row, seq in enumerate(sequences):
                user = chat_messages(seq)[:1]
                prompt = self.processor.apply_chat_template(user, tokenize=False, add_generation_prompt=True)
                n_prompt = len(self.processor(text=[prompt])["input_ids"][0])
                if (labels[row, n_prompt:] != IGNORE_INDEX).any():
                    labels[row, :n_prompt] = IGNORE_INDEX
                else:
                    # Nothing after the first image (or no image): masking the User turn would
                    # leave no label at all, and a batch of those a NaN loss. Train on all of it.
                    self.counts["chat.no_assistant_turn"] += 1
        return labels

    def decoded_nodes(self, nodes: Sequence[Node]) -> list[Node]:
        """The nodes whose images decode, each image node carrying its decoded picture."""
        kept: list[Node] = []
        for node in nodes:
            if isinstance(node, ImageNode):
                try:
                    node = DecodedImageNode.of(node)
                except Exception:  # any decoder failure means the same here: leave the image out
                    self.counts["image.undecodable"] += 1
                    continue
            kept.append(node)
        return kept
