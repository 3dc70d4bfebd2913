"""Load Idefics2 and its processor: the tiny offline model, a local checkpoint, or a hub id.

All three take the same path after loading, so what passes with `tiny` here is what runs
with HuggingFaceM4/idefics2-8b on a GPU machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.validate.config import ValidateConfig


@dataclass
class LoadedModel:
    model: Any
    processor: Any
    name: str
    device: str
    dtype: str
    parameters: int


def torch_dtype(config: ValidateConfig) -> Any:
    import torch

    if config.dtype == "auto":
        return torch.bfloat16 if config.device.startswith("cuda") else torch.float32
    return getattr(torch, config.dtype)


def _looks_like_path(spec: str) -> bool:
    """A hub id is ``name`` or ``org/name``; anything else with a separator is a folder path."""
    return spec.startswith((".", "~", os.sep)) or spec.count("/") > 1 or Path(spec).expanduser().exists()


def load_model(config: ValidateConfig) -> LoadedModel:
    dtype = torch_dtype(config)
    if config.model == "tiny":
        from builder.validate.tiny import build_tiny_model, build_tiny_processor

        processor = build_tiny_processor(do_image_splitting=config.image_splitting)
        model = build_tiny_model(processor, seed=config.seed).to(dtype=dtype)
    else:
        from transformers import AutoModelForImageTextToText, AutoProcessor

        if _looks_like_path(config.model) and not Path(config.model).expanduser().is_dir():
            # Say so here rather than let the hub client take a missing folder for a repo id.
            raise FileNotFoundError(f"no checkpoint folder at {config.model}")

        processor = AutoProcessor.from_pretrained(config.model)
        # Splitting is decided by the image processor alone; the processor reads the same flag
        # to expand each <image> into 5 blocks. Setting it at call time would desynchronise them.
        processor.image_processor.do_image_splitting = config.image_splitting
        model = AutoModelForImageTextToText.from_pretrained(config.model, dtype=dtype)
    model.to(config.device)
    parameters = sum(p.numel() for p in model.parameters())
    return LoadedModel(model, processor, config.model, config.device, str(dtype).replace("torch.", ""),
                       parameters)


def module_groups(model: Any) -> dict[str, Any]:
    """The three parts whose gradients prove images reach the loss."""
    inner = model.model
    return {"vision_encoder": inner.vision_model, "connector": inner.connector,
            "language_model": inner.text_model}
