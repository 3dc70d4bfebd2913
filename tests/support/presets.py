"""configs/obelics.yaml for tests: OBELICS's perplexity check needs OBELICS's KenLM model, which
is not in the repository, so tests load the preset with that check off (or on a model of their own)."""

from __future__ import annotations

from pathlib import Path

import yaml

from builder.config import LoomConfig, parse_config

PRESET = Path(__file__).resolve().parent.parent.parent / "configs" / "obelics.yaml"


def obelics_preset(perplexity_model: Path | None = None) -> LoomConfig:
    data = yaml.safe_load(PRESET.read_text(encoding="utf-8"))
    perplexity = data["filters"]["document"]["perplexity"]
    if perplexity_model is None:
        perplexity["enabled"] = False
    else:
        perplexity.update(model=str(perplexity_model), tokenizer=None)
    return parse_config(data, str(PRESET), PRESET.parent)


def obelics_preset_document() -> dict:
    """The preset as written (perplexity on, the model path as given)."""
    return yaml.safe_load(PRESET.read_text(encoding="utf-8"))
