"""The registry of text checks: every check a text level runs, in the order it runs them.

To add a check (docs/extending.md): write ``filters/checks/<name>.py`` with a `TextCheck`
and register it below. Its config section (`filters.paragraph.<name>`,
`filters.document.<name>`), scoring, verdicts and reasons follow; docs/config.md is
regenerated with `loom config reference`. Language id is not in this list: it runs last,
on the texts no other check failed (`filters.checks.language`).
"""

from __future__ import annotations

import sys

from filters.checks.base import Batch, CheckSettings, TextCheck
from filters.checks.obelics import OBELICS_CHECKS
from filters.checks.perplexity import PERPLEXITY

TEXT_CHECKS: list[TextCheck] = []


def register_check(check: TextCheck) -> TextCheck:
    """Run `check` after the checks registered before it, at both levels.

    The config sections are generated when `filters.config` is first imported: register before.
    """
    if hasattr(sys.modules.get("filters.config"), "FiltersConfig"):  # built already: too late
        raise RuntimeError(f"register check {check.name!r} before filters.config is imported")
    if check.name in {c.name for c in TEXT_CHECKS} | {"lang"}:
        raise ValueError(f"a text check named {check.name!r} exists already")
    TEXT_CHECKS.append(check)
    return check


for _check in (*OBELICS_CHECKS, PERPLEXITY):
    register_check(_check)

__all__ = ["TEXT_CHECKS", "Batch", "CheckSettings", "TextCheck", "register_check"]
