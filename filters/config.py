"""Settings of the quality filters."""

from __future__ import annotations

from builder.config_base import Section


class FiltersConfig(Section):
    enabled: bool = True
