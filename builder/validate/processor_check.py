"""Processor check: every sampled document becomes valid Idefics2 inputs within max_length."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from builder.document import Document, ImageNode, Node
from builder.train.collator import Idefics2Collator
from builder.validate.config import ValidateConfig
from builder.validate.layout import describe, expected_layout, observed_layout
from builder.validate.report import CheckResult, Problems


@dataclass
class ProcessedSequence:
    key: str
    nodes: list[Node]
    length: int
    n_images: int


@dataclass
class ProcessorOutcome:
    checks: list[CheckResult]
    sequences: list[ProcessedSequence] = field(default_factory=list)
    length_counts: dict[str, int] = field(default_factory=dict)


def tiles_per_image(processor: Any) -> int:
    # Idefics2 splitting: 4 crops plus the whole image, each its own block of image tokens.
    return 5 if getattr(processor.image_processor, "do_image_splitting", False) else 1


def check_processor(docs: list[Document], processor: Any, config: ValidateConfig) -> ProcessorOutcome:
    collator = Idefics2Collator(processor, config.max_length, config.length_policy, add_eos=True)
    tiles = tiles_per_image(processor)
    problems = Problems()
    length = Problems()
    outcomes: Counter[str] = Counter()
    sequences: list[ProcessedSequence] = []
    longest = 0
    for doc in docs:
        nodes = collator.decoded_nodes(doc.nodes)
        if len(nodes) != len(doc.nodes):
            problems.add(f"{doc.id}: {len(doc.nodes) - len(nodes)} image(s) do not decode")
            continue
        fitted = collator.fitter.fit(nodes)
        outcomes[fitted.outcome] += 1
        if fitted.outcome == "too_long":
            length.add(f"{doc.id}: {fitted.reason} (length_policy: fail)")
        elif fitted.outcome == "dropped" and config.length_policy != "drop":
            length.add(f"{doc.id}: dropped, {fitted.reason}")
        for seq in fitted.sequences:
            try:
                batch = collator.collate([seq])
            except Exception as exc:  # the processor rejects bad inputs with several exception types
                problems.add(f"{doc.id}: the processor rejected it ({type(exc).__name__}: {exc})")
                continue
            ids = batch["input_ids"][0].tolist()
            n_images = sum(isinstance(n, ImageNode) for n in seq)
            longest = max(longest, len(ids))
            problems_here = _sequence_problems(ids, batch, seq, processor, tiles, n_images, config.max_length)
            for p in problems_here:
                problems.add(f"{doc.id}: {p}")
            if not problems_here:
                sequences.append(ProcessedSequence(doc.id, seq, len(ids), n_images))
    counts = {"documents": len(docs), "sequences": len(sequences), "fit": outcomes["fit"],
              "split": outcomes["split"], "cut": outcomes["cut"], "dropped": outcomes["dropped"],
              "too_long": outcomes["too_long"], "longest_sequence": longest}
    checks = [
        problems.result("processor.inputs",
                        f"{len(sequences)} sequence(s) from {len(docs)} document(s): images where the "
                        f"documents have them ({tiles} block(s) per image)", tiles_per_image=tiles),
        length.result("processor.max_length",
                      f"all within {config.max_length} tokens (policy {config.length_policy}: "
                      f"{outcomes['split']} split, {outcomes['cut']} cut, {outcomes['dropped']} dropped)",
                      **counts),
    ]
    return ProcessorOutcome(checks, sequences, counts)


def _sequence_problems(ids: list[int], batch: Any, seq: list[Node], processor: Any, tiles: int,
                       n_images: int, max_length: int) -> list[str]:
    problems = []
    if len(ids) > max_length:
        problems.append(f"sequence of {len(ids)} tokens > max_length {max_length}")
    n_image_tokens = sum(1 for t in ids if t == processor.image_token_id)
    expected_tokens = n_images * tiles * int(processor.image_seq_len)
    if n_image_tokens != expected_tokens:
        problems.append(f"{n_image_tokens} <image> tokens for {n_images} image(s), "
                        f"expected {expected_tokens}")
    if n_images:
        pixel_images = int(batch["pixel_values"].shape[1])
        if pixel_images != n_images * tiles:
            problems.append(f"pixel_values holds {pixel_images} image(s), expected {n_images * tiles}")
    elif "pixel_values" in batch:
        problems.append("pixel_values present for a sequence without images")
    observed, layout_problems = observed_layout(ids, processor, tiles)
    problems.extend(layout_problems)
    expected = expected_layout(seq)
    if observed != expected:
        problems.append(f"layout differs: tokens say {describe(observed)}, "
                        f"document says {describe(expected)}")
    return problems
