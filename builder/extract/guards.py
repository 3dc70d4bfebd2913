"""Cheap checks before parsing, so one hostile page cannot cost unbounded time or memory."""

from __future__ import annotations

import re

from builder.extract.patterns import words

# Magic numbers of formats that are never HTML (PDF, PNG, GIF, JPEG, ZIP, gzip, RIFF/WebP, ...).
BINARY_PREFIXES = (
    b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF", b"\x00\x00\x01\x00"
)
_GARBAGE = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")
_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^>]*?(/?)>")
# Elements that never (or need not) wrap others: they do not deepen the tree.
_FLAT = words("br img meta link input hr source wbr area base col p li td tr option dt dd")


def has_binary_magic(body: bytes) -> bool:
    return body.lstrip()[:8].startswith(BINARY_PREFIXES)


def looks_binary(text: str, sample: int = 8192) -> bool:
    """Decoded text that is mostly control characters and U+FFFD was not a text page."""
    head = text[:sample]
    if "\x00" not in head and "\ufffd" not in head and "\x01" not in head:
        return False  # (binary always has some of these)
    return len(_GARBAGE.findall(head)) > len(head) // 10


_MARKUP = re.compile(r"<\s*(?:[a-zA-Z][a-zA-Z0-9-]*|!doctype|!--)", re.IGNORECASE)


def has_markup(text: str, sample: int = 65536) -> bool:
    """Whether the text holds any HTML tag, doctype or comment (a plain text file has none)."""
    return _MARKUP.search(text, 0, sample) is not None


def nesting_too_deep(html: str, limit: int, utf8: bytes | None = None) -> bool:
    """Whether elements nest deeper than `limit` (the parser's time grows with depth squared).

    Only pages with more than 4 x `limit` tags are scanned (a page with fewer tags parses fast
    however it nests), so the check costs nothing on ordinary pages. `utf8`: the text's UTF-8
    bytes, if at hand (the same count of "<", found faster than in a wide str).
    """
    if (utf8.count(b"<") if utf8 is not None else html.count("<")) <= 4 * limit:
        return False
    depth = 0
    for m in _TAG.finditer(html):
        if m.group(1):
            depth = max(0, depth - 1)
        elif not m.group(3) and m.group(2).lower() not in _FLAT:
            depth += 1
            if depth > limit:
                return True
    return False
