"""Which URL an <img> really shows, and whether it is a tracking pixel or otherwise not an image.

Lazy-loading scripts keep the real URL in attributes such as ``data-src``, ``data-original``,
``data-lazy-src``, ``data-srcset`` or a JSON blob, and put a placeholder (a ``data:`` URI, a
1×1 GIF, a spinner) in ``src``. We look at all of them and prefer the real one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from builder.extract.urls import ranked_srcset

# Attributes that hold one URL, best first (src comes last: on lazy pages it is a placeholder).
_SRC_ATTRS = (
    "data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-hi-res-src",
    "data-full-src", "data-orig-src", "data-original-src", "data-actualsrc", "data-img-src",
    "data-image", "data-echo", "data-lazyload", "original-src", "data-orig-file", "src",
)
_SRCSET_ATTRS = ("data-srcset", "data-lazy-srcset", "data-original-srcset", "srcset")
IMAGE_URL = re.compile(r"""(?:https?:)?//[^\s"'<>\\]+?\.(?:jpe?g|png|gif|webp|avif|bmp|tiff?)\b[^\s"'<>\\]*""", re.I)
_PLACEHOLDER = re.compile(
    r"(?:^data:|blank\.(?:gif|png)|spacer\.gif|transparent\.(?:gif|png)|pixel\.(?:gif|png)|"
    r"placeholder|lazy[-_]?load|loading\.gif|/1x1\.|grey\.gif|gray\.gif|empty\.(?:gif|png))",
    re.I,
)
_TRACKER = re.compile(
    r"(?:facebook\.com/tr|doubleclick\.net|google-analytics\.com|googleadservices|scorecardresearch|"
    r"quantserve|/pixel(?:\.gif|\.png|/|\?)|[/.]beacon\b|/tracking?/|imrworldwide|\bpixel\.wp\.com|"
    r"stats\.wordpress\.com|analytics\.|/b/ss/|bat\.bing\.com|adsrvr|/count(?:er)?\.gif)",
    re.I,
)
# Words one of which every match of the patterns above contains: a cheap test first.
_PLACEHOLDER_HINTS = ("data:", "blank", "spacer", "transparent", "pixel", "placeholder", "lazy", "loading",
                      "1x1", "grey", "gray", "empty")
_TRACKER_HINTS = ("facebook", "doubleclick", "analytics", "googleads", "scorecard", "quantserve", "pixel",
                  "beacon", "track", "imrworldwide", "stats.", "/b/ss/", "bing", "adsrvr", "count")


def _is_placeholder(url: str) -> bool:
    lowered = url.lower()
    return any(h in lowered for h in _PLACEHOLDER_HINTS) and bool(_PLACEHOLDER.search(url))


def _is_tracker(url: str) -> bool:
    lowered = url.lower()
    return any(h in lowered for h in _TRACKER_HINTS) and bool(_TRACKER.search(url))


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_INT = re.compile(r"^\s*(\d+)")
TINY_SIDE = 10  # every declared side at or below this: an icon, bullet or spacer (the image stage judges the rest)


def declared_size(attrs: dict[str, str | None], key: str) -> int | None:
    value = attrs.get(key)
    if not value:
        return None
    m = _INT.match(value)
    return int(m.group(1)) if m else None


def is_hidden(attrs: dict[str, str | None]) -> bool:
    style = attrs.get("style")
    return "hidden" in attrs or bool(style and _HIDDEN_STYLE.search(style))


def candidate_urls(attrs: dict[str, str | None], max_width: int, extra_srcsets: Sequence[str] = ()) -> list[str]:
    """Every real URL an <img> names, best first (unresolved, each once).

    The first is the one to show: the best-fitting srcset candidate, then a ``<picture>``
    ``<source>``, a lazy attribute, a JSON blob, src. The rest (other srcset widths, src,
    ...) are the same picture under other URLs: an archive may hold only one of them.
    """
    width = declared_size(attrs, "width")
    out: list[str] = []
    for key in _SRCSET_ATTRS:
        value = attrs.get(key)
        if value and not value.lstrip().startswith("data:"):
            out.extend(u for u in ranked_srcset(value, max_width, width) if not _is_placeholder(u))
    for srcset in extra_srcsets:  # <picture><source srcset>
        out.extend(u for u in ranked_srcset(srcset, max_width, width) if not _is_placeholder(u))
    for key in _SRC_ATTRS:
        value = attrs.get(key)
        if value:
            value = value.strip()
            if value[:1] in "{[":
                out.extend(m.group(0) for m in IMAGE_URL.finditer(value))
            elif value and not _is_placeholder(value):
                out.append(value)
    if not out:
        for key, value in attrs.items():  # any other lazy attribute holding a URL or JSON with one
            if value and key.startswith("data-") and key not in _SRC_ATTRS and key not in _SRCSET_ATTRS:
                m = IMAGE_URL.search(value)
                if m:
                    out.append(m.group(0))
                    break
    return list(dict.fromkeys(out))


def pick_url(attrs: dict[str, str | None], max_width: int, extra_srcsets: Sequence[str] = ()) -> str | None:
    """The best real URL of an <img> (or None): srcset (best fit), lazy attributes, JSON blobs, src."""
    urls = candidate_urls(attrs, max_width, extra_srcsets)
    return urls[0] if urls else None


def has_data_uri(attrs: dict[str, str | None]) -> bool:
    src = attrs.get("src") or ""
    return src.lstrip()[:5].lower() == "data:"


def attribute_rejection(attrs: dict[str, str | None]) -> str | None:
    """Why the <img> attributes say this is not a content image (a stats reason), or None."""
    if is_hidden(attrs):
        return "image.hidden"
    sides = [side for side in (declared_size(attrs, "width"), declared_size(attrs, "height")) if side]
    # (A side declared 0 means "unknown" to many CMSs: it says nothing.)
    if sides and max(sides) <= 2:
        return "image.tracking_pixel"
    if sides and max(sides) <= TINY_SIDE:
        return "image.tiny"
    return None


def url_rejection(url: str) -> str | None:
    """"image.tracking_pixel" for the URLs of known trackers and counters, else None."""
    return "image.tracking_pixel" if _is_tracker(url) else None
