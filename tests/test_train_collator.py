"""Idefics2 collator: padding, masked labels, chat formatting, length policy, bad images."""

from __future__ import annotations

from typing import Any

import pytest

from builder.document import Document, TextNode
from builder.train.collator import IGNORE_INDEX, Idefics2Collator
from builder.validate.synthetic import synthetic_document

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def processor() -> Any:
    from builder.validate.tiny import build_tiny_processor

    return build_tiny_processor()


@pytest.fixture(scope="module")
def model(processor: Any) -> Any:
    from builder.validate.tiny import build_tiny_model

    return build_tiny_model(processor)


def test_batch_shapes_padding_and_masked_labels(processor: Any, model: Any) -> None:
    docs = [synthetic_document(0, n_images=0), synthetic_document(1, n_images=2, words=30)]
    batch = Idefics2Collator(processor, max_length=512)(docs)
    ids, labels, mask = batch["input_ids"], batch["labels"], batch["attention_mask"]
    assert ids.shape == labels.shape == mask.shape and ids.shape[0] == 2
    assert batch["pixel_values"].shape[:2] == (2, 2)  # padded to the most images in the batch
    assert mask[0].sum() < mask[1].sum() and mask[0, -1] == 0  # right padding
    fake = processor.tokenizer.convert_tokens_to_ids("<fake_token_around_image>")
    for token in (processor.image_token_id, fake, processor.tokenizer.pad_token_id):
        assert (labels[ids == token] == IGNORE_INDEX).all()
    kept = (labels != IGNORE_INDEX)
    assert torch.equal(labels[kept], ids[kept])
    assert (ids[1] == processor.tokenizer.eos_token_id).sum() == 1  # EOS closes each sequence
    loss = model(**batch).loss
    assert torch.isfinite(loss)


def test_chat_formatting_masks_the_user_turn(processor: Any) -> None:
    doc = synthetic_document(2, n_images=1, words=8)
    collator = Idefics2Collator(processor, max_length=512, chat=True)
    text = collator.render(doc.nodes)
    assert text.startswith("User: ") and "<end_of_utterance>\nAssistant: " in text
    batch = collator([doc])
    ids, labels = batch["input_ids"][0], batch["labels"][0]
    first_trained = int((labels != IGNORE_INDEX).nonzero()[0])
    assert processor.image_token_id in ids[:first_trained].tolist()  # image is in the masked prompt
    answer = processor.tokenizer.decode(ids[first_trained:], skip_special_tokens=True)
    assert doc.nodes[-1].text.split()[0] in answer.split()[0]


def test_policies_shape_the_batch(processor: Any) -> None:
    long = synthetic_document(3, n_images=3, words=80)
    split = Idefics2Collator(processor, max_length=96, policy="split")
    batch = split([long])
    assert batch["input_ids"].shape[0] > 1 and batch["attention_mask"].sum(1).max() <= 96
    assert split.counts["doc.split"] == 1
    cut = Idefics2Collator(processor, max_length=96, policy="truncate")
    assert cut([long])["input_ids"].shape[0] == 1 and cut.counts["doc.cut"] == 1
    drop = Idefics2Collator(processor, max_length=96, policy="drop")
    assert drop([long, synthetic_document(4, n_images=1)])["input_ids"].shape[0] == 1
    with pytest.raises(ValueError, match="fits max_length"):
        drop([long])


def test_an_undecodable_image_is_left_out_and_counted(processor: Any) -> None:
    doc = synthetic_document(5, n_images=2)
    doc.images[0].data = b"\x89PNG truncated"
    collator = Idefics2Collator(processor, max_length=512)
    batch = collator([doc])
    assert collator.counts["image.undecodable"] == 1
    assert (batch["input_ids"] == processor.image_token_id).sum() == processor.image_seq_len


def test_no_image_token_is_ever_cut(processor: Any) -> None:
    nodes: list[Any] = []
    for i in range(6):
        nodes += [TextNode(" ".join(["word"] * (5 + 7 * i))), *synthetic_document(i, n_images=1).images]
    doc = Document("k", "https://example.org/k", nodes)
    for max_length in (24, 40, 64):
        batch = Idefics2Collator(processor, max_length=max_length, policy="split")([doc])
        n_tokens = (batch["input_ids"] == processor.image_token_id).sum(1)
        assert (n_tokens % processor.image_seq_len == 0).all()
        assert int(n_tokens.sum()) == 6 * processor.image_seq_len


def test_the_no_tokenisation_bound_is_never_below_the_real_length(processor: Any) -> None:
    from builder.train.fit import SequenceFitter

    fitter = SequenceFitter(processor, 4096, "split")
    image = synthetic_document(1, n_images=1).images[0]
    texts = ["plain words here", "日本語のテキストと絵文字 🎉🎉", "x" * 300, "  spaced\n\nout  ", "é" * 50]
    for text in texts:
        for nodes in ([TextNode(text)], [TextNode(text), image, image, TextNode(text)]):
            assert fitter.upper_bound(nodes) >= fitter.length(nodes)


def test_chat_without_an_assistant_turn_still_has_labels(processor: Any, model: Any) -> None:
    collator = Idefics2Collator(processor, max_length=512, chat=True)
    only_text = synthetic_document(6, n_images=0)
    image_last = Document("k", "https://example.org/k", [TextNode("look"), synthetic_document(6).images[0]])
    batch = collator([only_text, image_last])
    assert ((batch["labels"] != IGNORE_INDEX).sum(1) > 0).all()
    assert collator.counts["chat.no_assistant_turn"] == 2
    assert torch.isfinite(model(**batch).loss)


def test_control_token_strings_in_page_text_are_defused(processor: Any, model: Any) -> None:
    from builder.validate.config import ValidateConfig
    from builder.validate.processor_check import check_processor

    doc = synthetic_document(8, n_images=1)
    doc.nodes[0] = TextNode("Write <image> in the prompt, end with </s> or <end_of_utterance>.")
    batch = Idefics2Collator(processor, max_length=512)([doc])
    assert int((batch["input_ids"] == processor.image_token_id).sum()) == processor.image_seq_len
    assert int((batch["input_ids"] == processor.tokenizer.eos_token_id).sum()) == 1
    assert torch.isfinite(model(**batch).loss)
    checks = check_processor([doc], processor, ValidateConfig()).checks
    assert all(c.ok for c in checks), [c.problems for c in checks]
