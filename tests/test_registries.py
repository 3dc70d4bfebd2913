"""Registries keyed by the config `type`: the config, the CLI and the docs follow from them."""

from __future__ import annotations

import typing

from builder.commands.run import EXECUTOR_TYPES as CLI_EXECUTORS
from builder.config import LoomConfig
from builder.config_reference import reference_markdown
from builder.executors import EXECUTOR_TYPES
from builder.executors.config import ExecutorConfig
from builder.sources import SOURCE_TYPES
from filters.checks import TEXT_CHECKS
from filters.config import FiltersConfig


def test_every_registered_source_is_a_config_choice_and_documented():
    item = typing.get_args(LoomConfig.model_fields["sources"].annotation)[0]
    union = typing.get_args(typing.get_args(item)[0])
    assert [c.model_fields["type"].annotation.__args__[0] for c in union] == list(SOURCE_TYPES)
    reference = reference_markdown()
    assert all(f"sources[type={name}]" in reference for name in SOURCE_TYPES)


def test_executor_types_agree_between_registry_config_and_cli():
    config_types = typing.get_args(ExecutorConfig.model_fields["type"].annotation)
    assert set(EXECUTOR_TYPES) == set(config_types) == set(CLI_EXECUTORS)


def test_every_registered_check_has_a_section_at_both_levels():
    config = FiltersConfig()
    for check in TEXT_CHECKS:
        for level in (config.paragraph, config.document):
            assert isinstance(getattr(level, check.name), check.settings)
