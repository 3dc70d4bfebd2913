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
_SRC_RANK = {key: rank for rank, key in enumerate(_SRC_ATTRS)}
_KNOWN_ATTRS = frozenset((*_SRC_ATTRS, *_SRCSET_ATTRS))
IMAGE_URL = re.compile(r"""(?:https?:)?//[^\s"'<>\\]+?\.(?:jpe?g|png|gif|webp|avif|bmp|tiff?)\b[^\s"'<>\\]*""", re.I)
_PLACEHOLDER = re.compile(
    r"(?:^data:|blank\.(?:gif|png|jpe?g|svg)|spacer\.gif|transparent\.(?:gif|png)|pixel\.(?:gif|png)|"
    r"/(?:trans|clear|1px|1x1)\.(?:gif|png)|"
    # (a build step often adds a hash or version: transparent-1093278.png, blank_v2.gif)
    r"/(?:transparent|blank|spacer|empty)[-_.][\w.-]*\.(?:gif|png|svg)|(?:ajax[-_]?)?loader[\w-]*\.(?:gif|svg)|"
    r"placeholder|lazy[-_]?load|loading\.gif|/1x1\.|grey\.gif|gray\.gif|empty\.(?:gif|png))",
    re.I,
)
_TRACKER = re.compile(
    r"(?:facebook\.com/tr|doubleclick\.net|google-analytics\.com|googleadservices|scorecardresearch|"
    r"quantserve|/pixel(?:\.gif|\.png|/|\?)|[/.]beacon\b|/tracking?/|imrworldwide|\bpixel\.wp\.com|"
    r"stats\.wordpress\.com|analytics\.|/b/ss/|bat\.bing\.com|adsrvr|/count(?:er)?\.gif|matomo\.php|piwik\.php|"
    # ad servers' delivery scripts (Revive/OpenX: avw.php is the <noscript> banner image)
    r"/delivery/(?:avw|lg|ck|ajs|afr)\.php|/adserver/|[/.]adserver\.|"
    # Matomo's tracking API under any script name (idsite + rec=1 are its required parameters)
    r"[?&]idsite=\d+&(?:[^#]*&)?rec=1\b|[?&]rec=1&(?:[^#]*&)?idsite=\d)",
    re.I,
)
# Words one of which every match of the patterns above contains: a cheap test first.
_PLACEHOLDER_HINTS = ("data:", "blank", "spacer", "transparent", "pixel", "placeholder", "lazy", "loading",
                      "loader", "1x1", "grey", "gray", "empty", "/trans.", "/clear.", "/1px.")
_TRACKER_HINTS = ("facebook", "doubleclick", "analytics", "googleads", "scorecard", "quantserve", "pixel",
                  "beacon", "track", "imrworldwide", "stats.", "/b/ss/", "bing", "adsrvr", "count", "matomo", "piwik",
                  "/delivery/", "adserver", "idsite")


def _has_any(text: str, words: tuple[str, ...]) -> bool:
    for word in words:  # noqa: SIM110 (a loop: faster than any() over a generator)
        if word in text:
            return True
    return False


def _is_placeholder(url: str) -> bool:
    return _has_any(url.lower(), _PLACEHOLDER_HINTS) and bool(_PLACEHOLDER.search(url))


def _is_tracker(url: str) -> bool:
    return _has_any(url.lower(), _TRACKER_HINTS) and bool(_TRACKER.search(url))


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_INT = re.compile(r"^\s*(\d+)")
_W_DESCRIPTOR = re.compile(r"\s(\d+)w\b")
TINY_SIDE = 10  # every declared side at or below this: an icon, bullet or spacer (the image stage judges the rest)


def declared_size(attrs: dict[str, str | None], key: str) -> int | None:
    value = attrs.get(key)
    if not value:
        return None
    if value.isdecimal():  # (most: "640"; the same number the pattern reads)
        return int(value)
    m = _INT.match(value)
    return int(m.group(1)) if m else None


def declared_extent(attrs: dict[str, str | None], extra_srcsets: Sequence[str] | None = None) -> int:
    """The largest side the markup declares for an <img> (width/height attributes, else the widest
    srcset ``w`` candidate); 0 when it says nothing."""
    sides = [side for side in (declared_size(attrs, "width"), declared_size(attrs, "height")) if side]
    if sides:
        return max(sides)
    widest = 0
    for value in [*(attrs.get(k) for k in _SRCSET_ATTRS), *(extra_srcsets or ())]:
        if value and "w" in value:
            for m in _W_DESCRIPTOR.finditer(value):
                widest = max(widest, int(m.group(1)))
    return widest


def is_hidden(attrs: dict[str, str | None]) -> bool:
    style = attrs.get("style")
    return "hidden" in attrs or bool(style and _HIDDEN_STYLE.search(style))


def _declared_placeholder(attrs: dict[str, str | None]) -> bool:
    """A 1x1 / tiny <img>: inside a <picture> it only holds the place of the <source>s."""
    return attribute_rejection(attrs) in ("image.tracking_pixel", "image.tiny")


def _ranked(value: str, max_width: int, width: int | None) -> list[str]:
    ranked = ranked_srcset(value, max_width, width)
    return [u for u in ranked if not _is_placeholder(u)] if _is_placeholder(value) else ranked


def candidate_urls(attrs: dict[str, str | None], max_width: int, extra_srcsets: Sequence[str] = ()) -> list[str]:
    """Every real URL an <img> names, best first (unresolved, each once).

    The first is the one to show (as `pick_url` chooses it): the <img>'s own best-fitting srcset
    candidate, a lazy attribute, a JSON blob, src; then its ``<picture>``'s ``<source>``s (first
    when the <img> has no real URL or is a 1x1 placeholder). The rest (other srcset widths,
    src, ...) are the same picture under other URLs: an archive may hold only one of them.
    """
    width = declared_size(attrs, "width")
    own: list[str] = []
    srcsets = _srcsets(attrs)
    for value in srcsets:
        own.extend(_ranked(value, max_width, width))
    for key in _src_keys(attrs):
        value = attrs[key]
        if value:
            value = value.strip()
            if value[:1] in "{[":
                own.extend(m.group(0) for m in IMAGE_URL.finditer(value))
            elif value and not _is_placeholder(value):
                own.append(value)
    sources = [u for value in extra_srcsets for u in _ranked(value, max_width, width)]
    out = [*sources, *own] if sources and (not own or _declared_placeholder(attrs)) else [*own, *sources]
    if not out and (other := _other_lazy_url(attrs)):
        out.append(other)
    return list(dict.fromkeys(out))


def _src_keys(attrs: dict[str, str | None]) -> list[str]:
    """The <img>'s single-URL attributes (_SRC_ATTRS) that it has, in that order (an <img> has a
    few attributes: cheaper than looking up all seventeen)."""
    keys = [key for key in attrs if key in _SRC_RANK]
    if len(keys) > 1:
        keys.sort(key=_SRC_RANK.__getitem__)
    return keys


def _srcsets(attrs: dict[str, str | None]) -> list[str]:
    """The <img>'s srcset attributes that are not a data: placeholder."""
    out = []
    for key in _SRCSET_ATTRS:  # (a loop: faster than a comprehension over a generator)
        value = attrs.get(key)
        if value and not value.lstrip().startswith("data:"):
            out.append(value)
    return out


def pick_url(attrs: dict[str, str | None], max_width: int, extra_srcsets: Sequence[str] = ()) -> str | None:
    """The best real URL of an <img> (or None): its srcset (best fit), lazy attributes, JSON blobs,
    src; a <picture>'s <source>s (`extra_srcsets`) only when the <img> has no real URL of its own
    or is a 1x1 placeholder. (The <img> is the picture the page falls back to, and the one the
    readability gold names: its <source>s are often other formats or a phone's crop.)
    (The first of `candidate_urls`, found without looking further.)"""
    own = _own_url(attrs, max_width)
    if own is not None and not (extra_srcsets and _declared_placeholder(attrs)):
        return own
    width = declared_size(attrs, "width") if extra_srcsets else None
    for value in extra_srcsets:
        for url in ranked_srcset(value, max_width, width):
            if not _is_placeholder(url):
                return url
    return own


def _own_url(attrs: dict[str, str | None], max_width: int) -> str | None:
    """The best real URL the <img>'s own attributes give (None: only placeholders or nothing)."""
    srcsets = _srcsets(attrs)
    width = declared_size(attrs, "width") if srcsets else None
    for value in srcsets:
        for url in ranked_srcset(value, max_width, width):
            if not _is_placeholder(url):
                return url
    for key in _src_keys(attrs):
        value = attrs[key]
        if value:
            value = value.strip()
            if value[:1] in "{[":
                m = IMAGE_URL.search(value)
                if m:
                    return m.group(0)
            elif value and not _is_placeholder(value):
                return value
    return _other_lazy_url(attrs)


def _other_lazy_url(attrs: dict[str, str | None]) -> str | None:
    """A URL in any other data- attribute (a lazy loader's own name, a JSON blob)."""
    for key, value in attrs.items():
        if value and key.startswith("data-") and key not in _KNOWN_ATTRS:
            m = IMAGE_URL.search(value)
            if m:
                return m.group(0)
    return None


def has_data_uri(attrs: dict[str, str | None]) -> bool:
    src = attrs.get("src") or ""
    return src.lstrip()[:5].lower() == "data:"


def attribute_rejection(attrs: dict[str, str | None]) -> str | None:
    """Why the <img> attributes say this is not a content image (a stats reason), or None."""
    if is_hidden(attrs):
        return "image.hidden"
    # (A side declared 0 means "unknown" to many CMSs: it says nothing.)
    side = max(declared_size(attrs, "width") or 0, declared_size(attrs, "height") or 0)
    if 0 < side <= 2:
        return "image.tracking_pixel"
    if 0 < side <= TINY_SIDE:
        return "image.tiny"
    return None


def url_rejection(url: str) -> str | None:
    """"image.tracking_pixel" for the URLs of known trackers and counters, else None."""
    return "image.tracking_pixel" if _is_tracker(url) else None


_LOGO = re.compile(r"logo|print-?only|visible-print|show-for-print|app.?store|google.?play", re.I)
_VIDEO = re.compile(r"video|player|vjs-|jwplayer|brightcove|youtube|vimeo|poster", re.I)
VIDEO_ANCESTORS = 4  # boxes up from an image whose class may say it is a video's poster
# An icon by its own class or id ("icon", "icon-zoom": a zoom glass, a label's symbol) or its
# folder (/icons/). (A small size in the file name would also say so, but Readability.js keeps
# such images inside articles, and so does the gold: measured with bench/extract_reference.py.)
_ICON_CLASS = re.compile(r"(?:^|\s)icons?(?:$|\s|[-_])", re.I)
_ICON_DIR = re.compile(r"/icons?/", re.I)
_LOGO_DIR = re.compile(r"/logos?(?:[-_]\w*)?/", re.I)  # /logos/, /logo_sm/: a folder of logos


def furniture_rejection(attrs: dict[str, str | None], url: str, classes: list[str],
                        in_figure: bool = False) -> str | None:
    """Why an image the article kept is site furniture, not the article's picture:
    ``image.logo`` (a site or print logo: its file name, folder, alt, class or id says so),
    ``image.icon`` (its own class or folder says icon), ``image.video_poster`` (the still of a video
    player). `classes` are the classes of the boxes around it, innermost first. Inside a
    <figure> only an icon is furniture: a figure is the article's own picture. None otherwise."""
    own = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
    path = url.split("?", 1)[0]
    name = path.rsplit("/", 1)[-1]
    if not in_figure and (_LOGO.search(f"{own} {name} {attrs.get('alt') or ''}") or _LOGO_DIR.search(path)):
        return "image.logo"
    if _ICON_CLASS.search(own) or _ICON_DIR.search(path):
        return "image.icon"
    if in_figure:
        return None
    if _VIDEO.search(" ".join((own, *classes))):
        return "image.video_poster"
    return None
