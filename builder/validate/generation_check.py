"""Generation check: the model continues a few documents from their first image.

With the tiny random model the words mean nothing; the check proves the generate path
(left padding, image features, cache) works on real samples. With a real checkpoint the
outputs, kept in the report, are captions or continuations a person can judge.
"""

from __future__ import annotations

from typing import Any

from builder.document import ImageNode
from builder.train.render import decode_image, render_plain
from builder.validate.config import ValidateConfig
from builder.validate.model import LoadedModel, torch_dtype
from builder.validate.processor_check import ProcessedSequence
from builder.validate.report import CheckResult, Problems


def check_generation(loaded: LoadedModel, sequences: list[ProcessedSequence],
                     config: ValidateConfig) -> tuple[CheckResult, list[dict[str, Any]]]:
    import torch

    processor, model = loaded.processor, loaded.model
    problems = Problems()
    generations: list[dict[str, Any]] = []
    chosen = [s for s in sequences if s.n_images > 0][: config.generate_samples]
    tokenizer = processor.tokenizer
    side, tokenizer.padding_side = tokenizer.padding_side, "left"  # generate continues on the right
    try:
        for seq in chosen:
            first = next(i for i, n in enumerate(seq.nodes) if isinstance(n, ImageNode))
            prompt_nodes = seq.nodes[: first + 1]
            prompt = render_plain(prompt_nodes, processor.image_token)
            images = [decode_image(n) for n in prompt_nodes if isinstance(n, ImageNode)]
            inputs = processor(text=[prompt], images=[images], return_tensors="pt")
            inputs = {k: (v.to(config.device, torch_dtype(config)) if v.is_floating_point() else
                          v.to(config.device)) for k, v in inputs.items()}
            try:
                with torch.no_grad():
                    out = model.generate(**inputs, max_new_tokens=config.max_new_tokens, do_sample=False)
            except Exception as exc:  # report any failure of the generate path as this check's problem
                problems.add(f"{seq.key}: generate failed ({type(exc).__name__}: {exc})")
                continue
            new_tokens = out[0, inputs["input_ids"].shape[1]:]
            if len(new_tokens) == 0:
                problems.add(f"{seq.key}: generated no token")
            generations.append({"key": seq.key, "prompt": prompt, "new_tokens": int(len(new_tokens)),
                                "output": tokenizer.decode(new_tokens, skip_special_tokens=True)})
    finally:
        tokenizer.padding_side = side
    if not chosen and config.generate_samples:
        problems.add("no sampled sequence with an image to generate from")
    return problems.result("generation", f"generated for {len(generations)} sample(s)",
                           samples=len(generations)), generations
