"""URL helpers: resolving against the page (or <base href>), srcset parsing and choice."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$", re.I)


def resolve(url: str, base: str) -> str | None:
    """Absolute http(s) URL of `url` seen on a page whose base URL is `base`; None if unusable."""
    url = url.strip()
    if not url or url.startswith(("data:", "javascript:", "about:", "blob:", "#")):
        return None
    simple = "\\" not in url and "/." not in url and "[" not in url
    if simple and url.startswith(("https://", "http://")):
        return url.split("#", 1)[0]  # already absolute: urljoin would only cost time
    if simple and url[0] == "/" and base.startswith(("https://", "http://")):
        scheme, origin = _origin(base)
        return (scheme + ":" + url if url[1:2] == "/" else origin + url).split("#", 1)[0]
    if url.startswith("//") and base.startswith("file:"):  # a saved page's //cdn/x.jpg is on the web
        return resolve("https:" + url, base)
    try:
        absolute = urljoin(base, url.replace("\\", "/") if "\\" in url else url)
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https", "file"):
        return None
    return absolute.split("#", 1)[0]


@lru_cache(maxsize=256)
def _origin(base: str) -> tuple[str, str]:
    """("https", "https://host:port") of an http(s) base URL."""
    parts = urlsplit(base)
    return parts.scheme, f"{parts.scheme}://{parts.netloc}"


def parse_srcset(value: str) -> list[tuple[str, str]]:
    """(url, descriptor) candidates of a srcset. A URL runs to whitespace and may contain commas;
    a descriptor runs to the next comma."""
    out: list[tuple[str, str]] = []
    url: str | None = None
    descriptor: list[str] = []
    for token in value.split():
        while token:
            if url is None:  # a URL; a trailing comma ends its candidate at once
                if token.endswith(","):
                    if token.rstrip(","):
                        out.append((token.rstrip(","), ""))
                else:
                    url = token
                token = ""
            else:  # a descriptor, up to a comma
                before, comma, token = token.partition(",")
                if before:
                    descriptor.append(before)
                if comma:
                    out.append((url, " ".join(descriptor)))
                    url, descriptor = None, []
    if url is not None:
        out.append((url, " ".join(descriptor)))
    return out


def ranked_srcset(value: str, max_width: int, declared_width: int | None = None) -> list[str]:
    """The candidates of a srcset, best first: the widest no wider than `max_width`, then the
    narrower ones (widest first), then those wider than `max_width` (narrowest first)."""
    sized: list[tuple[float, str]] = []
    for url, descriptor in parse_srcset(value):
        m = _DESCRIPTOR.match(descriptor.split()[0]) if descriptor else None
        if m is None:
            width = float(declared_width or 0) or 1.0
        elif m.group(2).lower() == "w":
            width = float(m.group(1))
        else:  # density descriptor: n x the declared (or a typical) width
            width = float(m.group(1)) * (declared_width or 600)
        sized.append((width, url))
    fitting = sorted((c for c in sized if c[0] <= max_width), key=lambda c: -c[0])
    wider = sorted((c for c in sized if c[0] > max_width), key=lambda c: c[0])
    return [url for _, url in fitting + wider]


def best_srcset_url(value: str, max_width: int, declared_width: int | None = None) -> str | None:
    """The widest candidate no wider than `max_width` (the narrowest if all are wider)."""
    ranked = ranked_srcset(value, max_width, declared_width)
    return ranked[0] if ranked else None
