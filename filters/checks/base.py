"""A text check, described once: its config section, its score, how a batch measures it, its verdict.

The config (`filters.config`), the batch scoring (`filters.paragraph_judge`), re-judging of
stored scores (`filters.text_scoring.TextScorer.failures`) and the text stage all iterate over
the registered checks (`filters.checks.TEXT_CHECKS`); none of them names a check. A check's
settings class says which scores pass (`CheckSettings.bounds`), and each bound names its own
failure reason: ``paragraph.<name><suffix>`` / ``doc.<name><suffix>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from builder.config_base import Section

if TYPE_CHECKING:
    from filters.batch_measures import ParagraphMeasures

# A score test: a float or an array of them -> whether it passes (a bool or an array of them).
Test = Callable[[Any], Any]


class CheckSettings(Section):
    """The config section of one check: whether it runs, and its thresholds."""

    enabled: bool = True  # run this filter

    def bounds(self) -> tuple[tuple[str, Test], ...]:
        """(reason suffix, test that a passing score meets) for each threshold, in order.

        A check with one bound uses the suffix "" (its reason is its name); a check with two
        names each (``_below_min``, ``_above_max``) so a drop says which side was crossed.
        """
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Batch:
    """What a check measures: many texts of one level, and the measures they share."""

    texts: Sequence[str]
    measures: ParagraphMeasures


@dataclass(frozen=True)
class TextCheck:
    """One text check. Register it in `filters.checks.TEXT_CHECKS` (docs/extending.md)."""

    name: str  # config key under filters.paragraph / filters.document, and the reason's stem
    score_key: str  # where its score is stored: node.scores / doc.scores
    settings: type[CheckSettings]  # its config section (enabled + thresholds)
    # The score of every text of a batch; None when it cannot be measured (no word list).
    measure: Callable[[Batch, Any], np.ndarray | None]
    paragraph: Mapping[str, Any] = field(default_factory=dict)  # paragraph-level defaults
    document: Mapping[str, Any] = field(default_factory=dict)  # document-level defaults
    needs_word_lists: bool = False  # its score exists only where the language has the word list

    def reasons(self, settings: CheckSettings) -> list[str]:
        """The failure reasons this check can give (without the level prefix)."""
        return [self.name + suffix for suffix, _ in settings.bounds()]


def ratio(part: np.ndarray | None, whole: np.ndarray) -> np.ndarray | None:
    """part / whole per text (0 where whole is 0); None when `part` was not measured."""
    if part is None:
        return None
    out = np.zeros(len(whole), dtype=np.float64)
    np.divide(part, whole, out=out, where=whole > 0)
    return out
