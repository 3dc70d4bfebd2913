"""Settings of the global deduplication passes."""

from __future__ import annotations

from builder.config_base import Section


class DedupConfig(Section):
    enabled: bool = False
