"""patterns.yes_no: the rearranged class/id patterns answer exactly as the patterns as written."""

from __future__ import annotations

import random
import re

import pytest

from builder.extract import patterns
from builder.extract.patterns import WRITTEN, yes_no

PATTERNS = ("UNLIKELY", "NEVER_CONTENT", "MAYBE_CONTENT", "NEGATIVE", "BYLINE", "POSITIVE")


def _class_strings(pattern: str, n: int, seed: int) -> list[str]:
    """Class attributes made of the pattern's own words, cut, joined and padded in odd ways."""
    words = re.findall(r"[a-z][a-z-]*", pattern) + ["hid", "and", "ad", "x"]
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.randint(1, 4)):
            word = rnd.choice(words)
            cut = rnd.randint(0, len(word))
            word = rnd.choice([word, word[:cut], word[cut:], word + "d", word + "s"])
            parts.append(rnd.choice(["", " ", "  ", "-", "_", "x", "\n", "2"]) + word)
        out.append("".join(parts) + rnd.choice(["", " ", "\n"]))
    return out


@pytest.mark.parametrize("name", PATTERNS)
def test_yes_no_answers_as_the_pattern_as_written(name):
    fast = getattr(patterns, name)
    written = WRITTEN[fast]
    plain = re.compile(written)
    strings = _class_strings(written, 4000, seed=len(name))
    strings += ["", " ", "hid", "a hid", "hid b", "hid\n", "shared", "nav", "navigation", "and-more"]
    assert [bool(fast.search(s)) for s in strings] == [bool(plain.search(s)) for s in strings]
    assert any(plain.search(s) for s in strings) and not all(plain.search(s) for s in strings)


def test_the_long_patterns_are_rearranged():
    assert patterns.UNLIKELY.pattern != WRITTEN[patterns.UNLIKELY]
    assert patterns.NEGATIVE.pattern != WRITTEN[patterns.NEGATIVE]


def test_yes_no_keeps_groups_sets_and_escapes():
    pattern = r"a(?:b|c)|[|x]y|\.z|\bq\b|ab?d|hello|help|^top$| gap|\b-w|\bx?y|\b_u"
    fast = yes_no(pattern)
    for s in ["ab", "ac", "|y", "xy", ".z", "q", "aq", "ad", "abd", "help", "hello", "top", "a gap", "zzz", "a.b",
              "-w", "a-w", " -w", "y", "ay", "xxy", " xy", "_u", "a_u", "é_u", " _u"]:
        assert bool(fast.search(s)) == bool(re.search(pattern, s)), s
