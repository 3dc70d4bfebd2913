"""URL helpers: resolving against the page (or <base href>), srcset parsing and choice."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$", re.I)


def resolve(url: str, base: str) -> str | None:
    """Absolute http(s) URL of `url` seen on a page whose base URL is `base`; None if unusable."""
    url = url.strip()
    if not url or url.startswith(("data:", "javascript:", "about:", "blob:", "#")):
        return None
    try:
        absolute = urljoin(base, url.replace("\\", "/") if "\\" in url else url)
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https", "file"):
        return None
    return absolute.split("#", 1)[0]


def parse_srcset(value: str) -> list[tuple[str, str]]:
    """(url, descriptor) candidates of a srcset. A URL runs to whitespace and may contain commas."""
    out: list[tuple[str, str]] = []
    s, i, n = value, 0, len(value)
    while i < n:
        while i < n and (s[i].isspace() or s[i] == ","):
            i += 1
        j = i
        while j < n and not s[j].isspace():
            j += 1
        url = s[i:j]
        descriptor = ""
        if url.endswith(","):
            url, i = url.rstrip(","), j
        else:
            k = s.find(",", j)
            end = n if k < 0 else k
            descriptor = s[j:end].strip()
            i = end + 1
        if url:
            out.append((url, descriptor))
    return out


def best_srcset_url(value: str, max_width: int, declared_width: int | None = None) -> str | None:
    """The widest candidate no wider than `max_width` (the narrowest if all are wider)."""
    candidates = parse_srcset(value)
    if not candidates:
        return None
    sized: list[tuple[float, str]] = []
    for url, descriptor in candidates:
        m = _DESCRIPTOR.match(descriptor.split()[0]) if descriptor else None
        if m is None:
            width = float(declared_width or 0) or 1.0
        elif m.group(2).lower() == "w":
            width = float(m.group(1))
        else:  # density descriptor: n x the declared (or a typical) width
            width = float(m.group(1)) * (declared_width or 600)
        sized.append((width, url))
    fitting = [c for c in sized if c[0] <= max_width]
    if fitting:
        return max(fitting, key=lambda c: c[0])[1]
    return min(sized, key=lambda c: c[0])[1]
