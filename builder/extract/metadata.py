"""Page-level metadata: title, language, canonical URL, robots directives, base URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from builder.extract.urls import resolve

# Robots directives that concern AI training; recorded so the image stage can honour them.
_ROBOTS_NAMES = ("robots", "googlebot", "bingbot", "ccbot")


def page_metadata(tree, url: str, base_in_body: bool | Callable[[], bool] = True) -> tuple[dict[str, Any], str]:
    """(metadata, base URL for resolving links) of a parsed page. `base_in_body`: whether a
    <base> may sit outside <head> (False when the markup has no "<base" at all: saves a search),
    or a function that tells (asked only when <head> has none)."""
    meta: dict[str, Any] = {}
    head = tree.head
    html = tree.root
    if html is not None:
        lang = (html.attrs.get("lang") or html.attrs.get("xml:lang") or "").strip()
        if lang:
            meta["lang"] = lang.lower()
    # As browsers do: the first <base> with an href, wherever it is (a CMS may print one in
    # the body), resolved against the page URL; later ones are ignored.
    base_url = url
    base, title, canonical, metas = _head_elements(head) if head is not None else (None, None, None, [])
    if base is None and (base_in_body() if callable(base_in_body) else base_in_body):
        base = tree.css_first("base[href]")
    if base is not None:
        base_url = resolve(base.attrs.get("href") or "", url) or url
    robots: list[str] = []
    if head is not None:
        if title is not None and (text := " ".join(title.text().split())):
            meta["title"] = text
        if canonical is not None and (href := resolve(canonical.get("href") or "", base_url)):
            meta["canonical_url"] = href
        for attrs in metas:
            name = (attrs.get("name") or "").strip().lower()
            content = (attrs.get("content") or "").lower()
            if name in _ROBOTS_NAMES:
                robots.extend(d.strip() for d in content.replace(";", ",").split(",") if d.strip())
            elif name == "og:title" and "title" not in meta:
                meta["title"] = " ".join(content.split())
            elif name in ("language", "content-language") and "lang" not in meta and content.strip():
                meta["lang"] = content.strip()
    else:
        title = tree.css_first("title")
        if title is not None and (text := " ".join(title.text().split())):
            meta["title"] = text
    if robots:
        meta["robots"] = list(dict.fromkeys(robots))
    return meta, base_url


def _head_elements(head) -> tuple[Any, Any, dict | None, list[dict]]:
    """In <head>, in document order: the first <base href>, the first <title>, the attributes of
    the first <link rel=canonical href> and of every <meta name content>. One pass over <head>:
    cheaper than four selector queries (which find the same elements)."""
    base = title = canonical = None
    metas = []
    for node in head.traverse():
        tag = node.tag
        if tag == "meta":
            attrs = node.attributes
            if "name" in attrs and "content" in attrs:
                metas.append(attrs)
        elif tag == "link":
            if canonical is None:
                attrs = node.attributes
                rel = attrs.get("rel")
                # (as [rel="canonical" i]: the whole value, ASCII letters in any case)
                if "href" in attrs and rel and rel.isascii() and rel.lower() == "canonical":
                    canonical = attrs
        elif tag == "title":
            if title is None:
                title = node
        elif tag == "base" and base is None and "href" in node.attributes:
            base = node
    return base, title, canonical, metas
