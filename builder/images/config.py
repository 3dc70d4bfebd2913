"""Settings of the image stage: where bytes come from, how they are fetched and decoded."""

from __future__ import annotations

from builder.config_base import Section


class ImagesConfig(Section):
    enabled: bool = True  # False: keep image nodes as URLs only, fetch nothing
