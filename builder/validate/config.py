"""Settings of the validation run at the end of `loom run` (and defaults of `loom validate`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from builder.config_base import Section


class ValidateConfig(Section):
    enabled: bool = False  # run the validation at the end of `loom run`
    integrity_only: bool = False  # only the integrity checks: no model, no torch needed
    # "tiny": a tiny random Idefics2 built offline; or a local checkpoint folder; or a hub id
    # (e.g. HuggingFaceM4/idefics2-8b, loaded from the local HF cache or downloaded where allowed).
    model: str = "tiny"
    samples: int = Field(16, ge=1)  # documents sampled (seeded reservoir) for the model checks
    steps: int = Field(8, ge=0)  # optimiser steps of the training check (0 skips training)
    batch_size: int = Field(2, ge=1)
    # Distinct batches the training steps cycle through (0: every sampled one; 1: overfit the
    # fixed batch, the surest "loss falls" signal for a large pretrained model).
    train_batches: int = Field(0, ge=0)
    learning_rate: float = Field(1e-3, gt=0)
    optimizer: Literal["adamw", "sgd"] = "adamw"  # sgd needs no optimiser state: use it for 8B on one GPU
    device: str = "cpu"  # "cpu", "cuda", "cuda:1", ...
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"  # auto: bfloat16 on cuda, else float32
    max_length: int = Field(1024, ge=8)  # tokens per sequence, image tokens included
    length_policy: Literal["split", "truncate", "drop", "fail"] = "split"
    image_splitting: bool = False  # Idefics2 do_image_splitting: 4 crops + the whole image per image
    generate_samples: int = Field(2, ge=0)  # documents to generate a continuation for
    max_new_tokens: int = Field(24, ge=1)
    seed: int = 0
    report_dir: str | None = None  # default: OUT/validation
