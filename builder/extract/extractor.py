"""extract_document: a page's bytes → an ordered interleaved Document."""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Mapping

from selectolax.lexbor import LexborHTMLParser

from builder.document import Document, ImageNode, TextNode, document_key
from builder.errors import LoomError
from builder.extract.config import ExtractConfig
from builder.extract.content import select
from builder.extract.decode import decode_html_source
from builder.extract.guards import has_binary_magic, has_markup, looks_binary, nesting_too_deep
from builder.extract.metadata import page_metadata
from builder.extract.walker import ImageItem, TextItem, WalkTimeout, finish_image, walk
from builder.stats import Stats

_REPEATING_BOXES = frozenset(("td", "th", "li", "p", "dd"))


class ExtractRejected(LoomError):
    """The page yields no document; `reason` is a stats drop reason such as ``doc.page_too_large``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def extract_document(
    body: bytes | str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    config: ExtractConfig | None = None,
    stats: Stats | None = None,
) -> Document:
    """Turn one page into a Document of ordered text and image nodes, or raise ExtractRejected."""
    if not gc.isenabled():
        return _extract(body, url, headers, config, stats)
    # The walk makes a short-lived wrapper object for every DOM node it visits: the cycle collector
    # would run hundreds of times a page for garbage that reference counting frees anyway (about
    # 5-10% of the time). Paused for the page, and only by the call that paused it, so concurrent
    # calls cannot leave it off.
    gc.disable()
    try:
        return _extract(body, url, headers, config, stats)
    finally:
        gc.enable()


def _extract(
    body: bytes | str,
    url: str,
    headers: Mapping[str, str] | None,
    config: ExtractConfig | None,
    stats: Stats | None,
) -> Document:
    cfg = config or ExtractConfig()
    start = time.monotonic()
    if len(body) > cfg.max_page_bytes:
        raise ExtractRejected("doc.page_too_large", f"{len(body)} > {cfg.max_page_bytes} bytes")
    content_type = _header(headers, "content-type")
    if isinstance(body, bytes):
        if content_type and not _is_html_type(content_type):
            raise ExtractRejected("doc.not_html", content_type)
        if has_binary_magic(body):
            raise ExtractRejected("doc.not_html", "binary content")
        html, utf8 = decode_html_source(body, content_type)
    else:
        html, utf8 = body, None
    if looks_binary(html):
        raise ExtractRejected("doc.not_html", "binary content")
    # A local file with no type to go by: plain text. (isspace, not strip: no copy of the page.)
    if not content_type and html and not html.isspace() and not has_markup(html):
        raise ExtractRejected("doc.not_html", "no HTML markup")
    if nesting_too_deep(html, cfg.max_depth, utf8):
        raise ExtractRejected("doc.too_deep", f"elements nested deeper than {cfg.max_depth}")
    # The page's own UTF-8 bytes when it has them: the parser would encode the text back to them
    # (and a search in bytes is faster than in a str that holds wide characters).
    markup = html if utf8 is None else utf8
    tree = LexborHTMLParser(markup)
    metadata, base_url = page_metadata(tree, url, base_in_body=lambda: _has_base_tag(markup))
    body_node = tree.body
    if body_node is None:
        raise ExtractRejected("doc.empty", "no <body>")
    try:
        walked = walk(body_node, base_url, cfg.max_srcset_width, start + cfg.time_limit_s)
    except WalkTimeout:
        raise ExtractRejected("doc.extract_timeout", f"over {cfg.time_limit_s} s") from None
    doc = Document(id=document_key(url), url=url, metadata=metadata)
    last_text = -1  # position of the last text node
    seen: dict[str, tuple[int, int]] = {}  # image URL -> (position, box) of its last occurrence
    for item in select(walked):
        if isinstance(item, ImageItem) and item.node is not None:
            reason = finish_image(item, walked.boxes, base_url, cfg.max_srcset_width)
            if reason:
                item = ImageItem(item.box, None, reason)
        if isinstance(item, TextItem):
            last_text = len(doc.nodes)
            doc.nodes.append(TextNode(item.text, item.tag))
        elif item.node is None:
            if stats is not None:
                stats.drop(item.reason)
        elif (before := seen.get(item.node.src)) and before[0] > last_text and not (
            before[1] != item.box and walked.boxes[item.box].tag in _REPEATING_BOXES
        ):
            # The same picture again with no text between: a <noscript> copy, or a responsive twin
            # (one copy per screen size). In consecutive cells or paragraphs it is repeated content.
            if stats is not None:
                stats.drop("image.duplicate_in_page")
        else:
            # Shown again elsewhere (a repeated formula, a table's tick marks): in the text twice.
            seen[item.node.src] = (len(doc.nodes), item.box)
            doc.nodes.append(_image(item))
    doc.nodes = _without_orphan_headings(doc.nodes)
    if not doc.nodes:
        raise ExtractRejected("doc.empty", "no text or image found")
    return doc


_BASE_TAG = re.compile("<(?:base|BASE)")
_BASE_TAG_BYTES = re.compile(b"<(?:base|BASE)")


def _has_base_tag(markup: str | bytes) -> bool:
    """Whether the markup says "<base" or "<BASE" (one search, faster than two `in`)."""
    return (_BASE_TAG_BYTES if isinstance(markup, bytes) else _BASE_TAG).search(markup) is not None


def _image(item: ImageItem) -> ImageNode:
    return item.node


def _without_orphan_headings(nodes: list) -> list:
    """Drop headings (and "label:" lines) with nothing under them: the title of a removed link list."""
    out = []
    for i, node in enumerate(nodes):
        level = _heading_level(node)
        if level:
            following = next(
                (n for n in nodes[i + 1 :] if not isinstance(n, TextNode) or _heading_level(n) <= level),
                None,
            )
            if following is None or _heading_level(following):
                continue
        out.append(node)
    return out


def _heading_level(node) -> int:
    """1-6 for h1-h6, 7 for a short label line ("More on this:"), 0 for anything else."""
    if not isinstance(node, TextNode):
        return 0
    if len(node.tag) == 2 and node.tag[0] == "h" and node.tag[1].isdigit():
        return int(node.tag[1])
    if len(node.text) <= 40 and node.text.endswith(":") and node.tag == "p":
        return 7
    return 0


def _is_html_type(content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return not mime or "html" in mime or mime in ("text/plain", "application/octet-stream", "unknown/unknown")
