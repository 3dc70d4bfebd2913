"""The run configuration: one YAML file, validated, with unknown keys rejected.

Each stage owns its section's model (``builder/images/config.py`` and so on); this module
only assembles them and turns validation failures into one clear `ConfigError` that names
the file and the offending key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from builder.card.config import CardConfig
from builder.config_base import Section
from builder.errors import ConfigError
from builder.executors.config import ExecutorConfig
from builder.extract.config import ExtractConfig
from builder.images.config import ImagesConfig
from builder.shards.config import ShardsConfig
from builder.sources import source_config_union
from builder.suggest import did_you_mean, known_keys
from builder.validate.config import ValidateConfig
from filters.config import FiltersConfig
from filters.dedup.config import DedupConfig

__all__ = ["ConfigError", "LoomConfig", "load_config", "parse_config"]

# One section per registered source type (builder.sources.SOURCE_TYPES), told apart by `type`.
SourceConfig = source_config_union()


class LoomConfig(Section):
    """A whole run: its inputs, the settings of every stage, and where the shards go."""

    name: str = "loom"  # a label for the run, kept in the manifest
    output: str | None = None  # output folder; `--out` overrides
    sources: list[SourceConfig] = Field(default_factory=list)  # the inputs, one section each
    extract: ExtractConfig = Field(default_factory=ExtractConfig)
    images: ImagesConfig = Field(default_factory=ImagesConfig)
    filters: FiltersConfig = Field(default_factory=FiltersConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    shards: ShardsConfig = Field(default_factory=ShardsConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    validate_: ValidateConfig = Field(default_factory=ValidateConfig, alias="validate")
    card: CardConfig = Field(default_factory=CardConfig)  # README.md dataset card and token counts

    # Folder that relative paths in the config are resolved against (the config's own).
    base_dir: str = Field(".", exclude=True)

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else Path(self.base_dir) / p

    def to_public_dict(self) -> dict[str, Any]:
        """The config as it was understood, for the manifest."""
        return self.model_dump(mode="json", by_alias=True, exclude={"base_dir"})


def _format_errors(exc: ValidationError, origin: str) -> str:
    lines = [f"{origin}: invalid config"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            hint = did_you_mean(str(err["loc"][-1]), known_keys(LoomConfig, tuple(err["loc"])))
            lines.append(f"  {key}: unknown key.{hint}" if hint else f"  {key}: unknown key")
        else:
            lines.append(f"  {key}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


def parse_config(data: Any, origin: str = "<config>", base_dir: str | Path = ".") -> LoomConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: the config must be a mapping, got {type(data).__name__}")
    try:
        config = LoomConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, origin)) from None
    config.base_dir = str(base_dir)
    from filters.checks.perplexity import resolve_model_paths

    resolve_model_paths(config.filters, config.resolve)  # model files are found relative to the config
    return config


def load_config(path: str | Path) -> LoomConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a YAML config (the file is not UTF-8 text)") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        raise ConfigError(f"{path}: the config is empty (see `loom config reference` and configs/)")
    return parse_config(data, str(path), path.resolve().parent)
