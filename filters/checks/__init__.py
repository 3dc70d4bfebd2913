"""The registry of text checks: every check a text level runs, in the order it runs them.

To add a check (docs/extending.md): write ``filters/checks/<name>.py`` with a `TextCheck`
and add it to `TEXT_CHECKS`. Its config section (`filters.paragraph.<name>`,
`filters.document.<name>`), scoring, verdicts and reasons follow; docs/config.md is
regenerated with `loom config reference`. Language id is not in this list: it runs last,
on the texts no other check failed (`filters.checks.language`).
"""

from __future__ import annotations

from filters.checks.base import Batch, CheckSettings, TextCheck
from filters.checks.obelics import OBELICS_CHECKS
from filters.checks.perplexity import PERPLEXITY

TEXT_CHECKS: tuple[TextCheck, ...] = (*OBELICS_CHECKS, PERPLEXITY)

__all__ = ["TEXT_CHECKS", "Batch", "CheckSettings", "TextCheck"]
