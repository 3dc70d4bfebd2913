"""`X-Robots-Tag` response headers: which directives apply to our bot.

A header value is a comma-separated list. A ``name:`` prefix scopes the directives that
follow it to that user agent (``X-Robots-Tag: otherbot: noindex, loombot: noai``), until the
next scope. Directives with their own value (``max-snippet: 20``) are not scopes.
"""

from __future__ import annotations

from typing import Iterable

# Directives that carry a value after a colon; anything else before a colon names a bot.
_VALUED = {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}

NOAI = frozenset({"noai", "noimageai"})
NOINDEX = frozenset({"noindex", "noimageindex", "none"})


def directives_for(values: Iterable[str], token: str) -> set[str]:
    """Lower-case directives in `values` (header values) that apply to `token` or to every bot."""
    token = token.lower()
    found: set[str] = set()
    for value in values:
        scope: str | None = None
        for part in value.split(","):
            part = part.strip().lower()
            if not part:
                continue
            if ":" in part:
                name, rest = (s.strip() for s in part.split(":", 1))
                if name not in _VALUED:
                    scope, part = name, rest
                    if not part:
                        continue
            if scope is None or scope in (token, "*"):
                found.add(part.split(":", 1)[0].strip())
    return found


def opt_out_reason(values: Iterable[str], token: str) -> str | None:
    """``noai`` / ``noindex`` when the headers opt this resource out of AI training, else None."""
    directives = directives_for(values, token)
    if directives & NOAI:
        return "noai"
    if directives & NOINDEX:
        return "noindex"
    return None
