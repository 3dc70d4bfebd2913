"""Per-code-point lookup tables for the text measures, built once per process.

Each table answers one question for every Unicode code point, so a whole document's
characters are classified with one numpy indexing step. The tables are built with the same
engines the plain definitions use (the `regex` module's ``\\p{L}\\p{M}``, Python's ``\\w`` and
``str.isspace``), so the batch path and `text_measures` agree character for character.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import numpy as np
import regex

N_CODE_POINTS = 0x110000


def utf32_codes(text: str) -> np.ndarray:
    """The code points of `text` (lone surrogates included) as uint32."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


@cache
def _every_code_point() -> str:
    return "".join(map(chr, range(N_CODE_POINTS)))


def _table(pattern: str, engine: object = regex) -> np.ndarray:
    """True for every code point the one-character `pattern` matches."""
    marked = engine.sub(pattern, "\0", _every_code_point())  # type: ignore[attr-defined]
    return utf32_codes(marked) == 0


@cache
def special_table() -> np.ndarray:
    """Not a letter or combining mark (`[^\\p{L}\\p{M}]`): OBELICS's special characters."""
    return _table(r"[^\p{L}\p{M}]")


@cache
def wordish_table() -> np.ndarray:
    """`[\\w']` under Python's `re`, the characters of OBELICS's punctuation-ratio word tokens."""
    return _table(r"[\w']", re)


@cache
def space_table() -> np.ndarray:
    """Whitespace as `str.split()` sees it."""
    table = np.zeros(N_CODE_POINTS, dtype=bool)
    spaces = [cp for cp in range(0x3100) if chr(cp).isspace()]  # none lies above U+3000
    table[spaces] = True
    return table


# Bits of `class_table`: one lookup answers every question about a character.
SPECIAL, PUNCTUATION_MARK, WORDISH, SPACE = 1, 2, 4, 8
PUNCTUATION_MARKS = ",;:?!."  # OBELICS's punctuation tokens


@cache
def class_table() -> np.ndarray:
    """Per code point, the uint8 OR of SPECIAL, PUNCTUATION_MARK, WORDISH and SPACE."""
    table = special_table() * np.uint8(SPECIAL) | wordish_table() * np.uint8(WORDISH)
    table |= space_table() * np.uint8(SPACE)
    table[[ord(m) for m in PUNCTUATION_MARKS]] |= PUNCTUATION_MARK
    return table.astype(np.uint8)


@cache
def lower_growth_table() -> np.ndarray:
    """Per code point, how many characters `str.lower()` adds (1 for "İ", else 0)."""
    table = np.zeros(N_CODE_POINTS, dtype=np.int8)
    for cp in range(N_CODE_POINTS):
        if 0xD800 <= cp < 0xE000:
            continue
        grown = len(chr(cp).lower()) - 1
        if grown:
            table[cp] = grown
    return table


def lengths_of(texts: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
