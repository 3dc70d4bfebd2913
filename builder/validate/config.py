"""Settings of the validation run at the end of `loom run`."""

from __future__ import annotations

from builder.config_base import Section


class ValidateConfig(Section):
    enabled: bool = False
