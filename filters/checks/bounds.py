"""The thresholds OBELICS's text checks use, as config sections (one class per kind of bound)."""

from __future__ import annotations

from pydantic import Field

from filters.checks.base import CheckSettings, Test


def at_most(limit: float) -> Test:
    return lambda value: value <= limit


def at_least(limit: float) -> Test:
    return lambda value: value >= limit


def below(limit: float) -> Test:
    return lambda value: value < limit


class WordCountFilter(CheckSettings):
    """Keep when `min` <= words <= `max` (``<check>_below_min`` / ``<check>_above_max`` otherwise)."""

    min: int = 0  # fewest words kept
    max: int = 1_000_000  # most words kept

    def bounds(self) -> tuple[tuple[str, Test], ...]:
        return ("_below_min", at_least(self.min)), ("_above_max", at_most(self.max))


class MaxRatioFilter(CheckSettings):
    """Keep when the score is <= `max`."""

    max: float = 1.0  # highest score kept

    def bounds(self) -> tuple[tuple[str, Test], ...]:
        return (("", at_most(self.max)),)


class MinRatioFilter(CheckSettings):
    """Keep when the score is >= `min`."""

    min: float = 0.0  # lowest score kept

    def bounds(self) -> tuple[tuple[str, Test], ...]:
        return (("", at_least(self.min)),)


class NgramRepetitionFilter(CheckSettings):
    """Keep when the share of repeated `n`-grams is <= `max`."""

    n: int = Field(5, ge=1)  # n-gram length
    max: float = 1.0  # highest repeated share kept

    def bounds(self) -> tuple[tuple[str, Test], ...]:
        return (("", at_most(self.max)),)


class PunctuationFilter(CheckSettings):
    """Keep when the punctuation share of tokens is >= `min`; texts under `min_words` tokens pass."""

    min: float = 0.0  # lowest punctuation share kept
    min_words: int = -1  # texts with fewer tokens pass (-1: none)

    def bounds(self) -> tuple[tuple[str, Test], ...]:
        return (("", at_least(self.min)),)


class SpamFilter(CheckSettings):
    """Keep when the share of words inside spam phrases is < `less_than`."""

    less_than: float = 1.0  # kept while the spam-word share is below this

    def bounds(self) -> tuple[tuple[str, Test], ...]:
        return (("", below(self.less_than)),)
