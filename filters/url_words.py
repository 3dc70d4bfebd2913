"""Banned words in image URLs, matched as whole tokens of the URL, never as substrings.

The URL (without its scheme) is cut into tokens at every non-alphanumeric character, at
letter/digit changes and at camelCase humps: ``/img/siteLogo_2x.png`` gives
``img, site, logo, 2, x, png``. So "logo" bans that URL, while "lexicon" does not hold
"icon" and "essex" does not hold "sex".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TOKEN = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\W\d_]+")


def url_tokens(url: str) -> list[str]:
    without_scheme = url.split("://", 1)[-1]
    return [t.lower() for t in _TOKEN.findall(without_scheme)]


class BannedWordMatcher:
    def __init__(self, words: Iterable[str], plurals: bool = True) -> None:
        banned = {w.lower() for w in words if w}
        if plurals:
            banned |= {w + "s" for w in banned}
        self.banned = frozenset(banned)

    def first_match(self, url: str) -> str | None:
        for token in url_tokens(url):
            if token in self.banned:
                return token
        return None
