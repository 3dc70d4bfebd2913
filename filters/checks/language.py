"""The language check's settings and its one rule for accepting a predicted language."""

from __future__ import annotations

from collections.abc import Collection

from pydantic import Field

from builder.config_base import Section

LANG_SAMPLE_CHARS = 1000  # default language-id sample (docs/filters.md: agreement on real pages)


class LangFilter(Section):
    """Keep when the predicted language is wanted (`FiltersConfig.languages`) with score >= `min_score`."""

    enabled: bool = True  # run this filter
    min_score: float = 0.8  # lowest language probability kept
    max_chars: int | None = Field(LANG_SAMPLE_CHARS, ge=100)  # longer texts: a sample this long; null: all

    def accepts(self, code: str | None, probability: float, languages: Collection[str]) -> bool:
        """Whether a text predicted as `code` with `probability` passes."""
        return code in languages and probability >= self.min_score
