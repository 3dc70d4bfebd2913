"""One pass over the parsed DOM: paragraphs and images in document order, grouped in boxes.

A *box* is a block-level element (div, p, li, td, section, ...). Each text paragraph and
each image belongs to the innermost box around it, and every box knows its parent, its
class/id weight, whether it is page chrome, and how much of its text is link text. The
content selector (content.py) decides from these which boxes are the article.

The walk is iterative (a page nested 100,000 levels deep does not hit Python's recursion
limit) and checks a deadline, so one page cannot stall a run.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, create_tag

from builder.document import ImageNode
from builder.errors import LoomError
from builder.extract import images as img
from builder.extract.patterns import (
    BLOCK_TAGS,
    BOILERPLATE_ROLES,
    BOILERPLATE_TAGS,
    HIDDEN_STYLE,
    SKIP_TAGS,
    TEXT_NODE_TAGS,
    judge_class,
    words,
)
from builder.extract.urls import resolve

CHROME_BY_CLASS, CHROME_BY_TAG = 1, 2  # how sure we are that a box is page chrome


class WalkTimeout(LoomError):
    """The page took longer than its time limit."""


@dataclass(slots=True)
class Box:
    parent: int
    tag: str
    weight: int = 0
    chrome: int = 0  # page chrome (nav, footer, share bar, ...): CHROME_BY_CLASS or CHROME_BY_TAG
    text: int = 0  # characters of text inside (all descendants)
    link: int = 0  # of which inside links
    commas: int = 0
    images: int = 0
    in_article: bool = False
    klass: str = ""
    byline: bool = False  # its class says author/byline/dateline
    sure: bool = False  # chrome by a class no article wrapper carries (cookie banner, modal, ...)
    in_link: bool = False  # inside an <a>: its link text is the enclosing link's, not links of its own


@dataclass(slots=True)
class TextItem:
    box: int
    text: str
    tag: str
    link: int


@dataclass(slots=True)
class ImageItem:
    box: int
    node: ImageNode | None  # None: dropped for `reason`
    reason: str = ""
    link: int = 0  # inside a link: LINK_TO_IMAGE (a lightbox, a file page) or LINK_TO_PAGE
    figure: bool = False  # inside a <figure>
    # The <img> attributes and <picture> sources, for the work done only for images the content
    # selector keeps (finish_image): every candidate URL, furniture checks.
    attrs: dict[str, str | None] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def size(self) -> int:
        """The largest width or height the markup declares (attributes, srcset); 0: unknown."""
        return img.declared_extent(self.attrs, self.sources)


LINK_TO_IMAGE, LINK_TO_PAGE = 1, 2
_IMAGE_HREF = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg|tiff?|bmp)(?:$|[?#])", re.I)


@dataclass
class WalkResult:
    boxes: list[Box] = field(default_factory=list)
    items: list[TextItem | ImageItem] = field(default_factory=list)


# Exit actions recorded on the traversal stack (bit flags).
_BOX, _LINK, _PICTURE, _PRE, _NOSCRIPT, _FIGURE = 1, 2, 4, 8, 16, 32
_DEADLINE_EVERY = 1024  # elements between clock checks
# What the walk does with each tag (one dict lookup instead of a chain of comparisons).
_INLINE, _SKIP, _BR, _IMG, _SOURCE, _BLOCK, _A, _PICTURE_TAG, _NOSCRIPT_TAG = range(9)
_KIND = {
    **{tag: _SKIP for tag in SKIP_TAGS},
    **{tag: _BLOCK for tag in BLOCK_TAGS},
    "-comment": _SKIP,
    "br": _BR,
    "img": _IMG,
    "amp-img": _IMG,
    "source": _SOURCE,
    "a": _A,
    "picture": _PICTURE_TAG,
    "noscript": _NOSCRIPT_TAG,
}
# Inline tags common enough to be worth a place in _BY_ID (any other tag is looked up by name).
_COMMON_INLINE = words("span b strong i em u s small big sup sub font label abbr cite code time mark q var kbd samp")


def _kinds_by_id() -> dict[int, tuple[int, str]]:
    """(kind, name) of common tags by the parser's tag id: reading a node's id is cheaper than its name.

    The id of a standard tag is the same in every page; a custom element's is not (and some names
    may not be standard), so only names that get the same id in two documents at once are listed."""
    sample = LexborHTMLParser("<p><!-- a comment -->text</p>").css_first("p")
    out = {node.tag_id: (_KIND.get(node.tag, _INLINE), node.tag) for node in (sample.first_child, sample.last_child)}
    for name in sorted({*_KIND, *_COMMON_INLINE}):
        if name.isalnum():
            one, two = create_tag(name), create_tag(name)
            if one.tag_id == two.tag_id and one.tag == name:
                out[one.tag_id] = (_KIND.get(name, _INLINE), name)
    return out


_BY_ID = _kinds_by_id()
_TEXT_ID = next(tag_id for tag_id, (_, name) in _BY_ID.items() if name == "-text")
_DATA_TABLE_BLOCKERS = "table table, div, p, ul, ol, img, picture, h1, h2, h3, h4, h5, h6, blockquote, pre"


BR = "\ue000"  # stands for <br> in the text buffer (source newlines are just whitespace)
_DOUBLE_BR = re.compile(f"{BR}\\s*{BR}[\\s{BR}]*")


def _link_kind(href: str) -> int:
    return LINK_TO_IMAGE if _IMAGE_HREF.search(href) else LINK_TO_PAGE


def _only_text(node) -> bool:
    """Whether an element holds nothing but text (and comments)."""
    child = node.first_child
    while child is not None:
        if child.tag not in ("-text", "-comment"):
            return False
        child = child.next
    return True


def _chrome_id(element_id: str | None) -> str:
    """An id worth reading for chrome words: "sidebar", "site-footer"; not one made from a heading's
    text ("sharing-with-a-single-developer"), which can hold any word."""
    if not element_id or element_id.count("-") + element_id.count("_") > 2:
        return ""
    return element_id


def _norm(raw: str) -> str:
    if BR not in raw:
        return " ".join(raw.split())
    lines = (" ".join(line.split()) for line in raw.split(BR))
    return "\n".join(line for line in lines if line)


def _table_text(table) -> str | None:
    """A data table as text (a row a line, cells joined by " | "), or None for a layout table."""
    if table.css_first(_DATA_TABLE_BLOCKERS) is not None:
        return None
    rows = []
    for tr in table.css("tr"):
        cells = [" ".join(c.text(separator=" ").split()) for c in tr.css("th, td")]
        cells = [c for c in cells if c]
        if cells:
            rows.append(" | ".join(cells))
    if len(rows) < 2:
        return None
    caption = table.css_first("caption")
    if caption is not None and (cap := " ".join(caption.text(separator=" ").split())):
        rows.insert(0, cap)
    return "\n".join(rows)


def walk(body, base_url: str, max_srcset_width: int, deadline: float) -> WalkResult:
    """Walk the subtree of `body` (a selectolax node) into boxes and items."""
    result = WalkResult()
    boxes, items = result.boxes, result.items
    boxes.append(Box(-1, "body"))
    buf: list[str] = []
    buf_link = 0
    cur = 0
    pre_depth = noscript_depth = 0
    links: list = []  # the <a> elements we are inside (their href is read for images only)
    picture_sources: list[str] | None = None
    picture_start = 0  # items before the current <picture>
    figure_starts: list[int] = []
    stack: list[tuple[object, int, int]] = []  # (node, exit flags, box to return to)
    checked = 0

    def flush() -> None:
        nonlocal buf_link
        if not buf:
            return
        raw = "".join(buf)
        buf.clear()
        link = buf_link
        buf_link = 0
        if raw.isspace():
            return
        if pre_depth:
            add_text(raw.replace(BR, "\n").strip("\n").rstrip(), link, len(raw))
        elif BR not in raw:  # (most text: what _norm does, without the call)
            add_text(" ".join(raw.split()), link, len(raw))
        elif _DOUBLE_BR.search(raw):  # <br><br> separates paragraphs
            for part in _DOUBLE_BR.split(raw):
                add_text(_norm(part), link, len(raw))
        else:
            add_text(_norm(raw), link, len(raw))

    def add_text(text: str, link: int, raw_length: int) -> None:
        if not text:
            return
        if link:  # (link characters counted on the raw text, shared out by length)
            link = min(len(text), link * len(text) // max(1, raw_length))
        box = boxes[cur]
        tag = box.tag if box.tag in TEXT_NODE_TAGS else "p"
        items.append(TextItem(cur, text, tag, link))
        box.text += len(text)
        box.link += link
        box.commas += text.count(",") if text.isascii() else text.count(",") + text.count("，") + text.count("、")

    def add_image(attrs: dict) -> None:
        reason = img.attribute_rejection(attrs)
        if picture_sources and reason in ("image.tracking_pixel", "image.tiny"):
            reason = ""  # the 1x1 placeholder <img> of a <picture>: its <source>s say what is shown
        url = img.pick_url(attrs, max_srcset_width, picture_sources or ())
        href = (links[-1].attrs.get("href") or "") if links else ""
        link_kind = _link_kind(href) if links else 0
        if url is None and link_kind == LINK_TO_IMAGE:
            url = href  # a placeholder inside a lightbox link: the link names the picture
        absolute = resolve(url, base_url) if url else None
        if absolute is None:
            if not reason:
                if url and not url.startswith("data:"):
                    reason = "image.bad_url"
                else:
                    reason = "image.data_uri" if img.has_data_uri(attrs) else "image.no_src"
        else:
            reason = reason or img.url_rejection(absolute)
        if reason:
            item = ImageItem(cur, None, reason)
        else:
            image = ImageNode(absolute, alt=" ".join((attrs.get("alt") or "").split()))
            item = ImageItem(cur, image, link=link_kind, figure=bool(figure_starts),
                             attrs=attrs, sources=tuple(picture_sources or ()))
        if noscript_depth and items and isinstance(items[-1], ImageItem) and not "".join(buf).strip():
            # <noscript> right after a lazy image: the same picture, spelled for script-less readers.
            if items[-1].node is None and item.node is not None:
                items[-1] = item
            return
        if item.node is not None:
            boxes[cur].images += 1
            if buf:
                flush()  # the text before an inline image comes before it
        items.append(item)

    node = body.first_child
    stack.append((body, _BOX, 0))
    while stack:
        if node is None:
            done, flags, back = stack.pop()
            if flags:
                if flags & _BOX:
                    if buf:
                        flush()
                    child_box = boxes[cur]
                    if child_box.parent >= 0 and (child_box.text or child_box.images):
                        parent = boxes[child_box.parent]
                        parent.text += child_box.text
                        parent.link += child_box.link
                        parent.commas += child_box.commas
                        parent.images += child_box.images
                    cur = back
                if flags & _LINK:
                    links.pop()
                if flags & _PICTURE:
                    if picture_sources and not any(isinstance(i, ImageItem) for i in items[picture_start:]):
                        add_image({})  # <source>s whose <img> a script adds
                    picture_sources = None
                if flags & _PRE:
                    pre_depth -= 1
                if flags & _NOSCRIPT:
                    noscript_depth -= 1
                if flags & _FIGURE:
                    start = figure_starts.pop()
                    if not any(isinstance(i, ImageItem) for i in items[start:]):
                        _figure_without_img(done, items, start, cur, base_url)
                    _attach_caption(items, boxes, start)
            node = done.next if stack else None
            continue
        tag_id = node.tag_id
        if tag_id == _TEXT_ID:
            text = node.text_content
            if text and (buf or not text.isspace()):
                buf.append(text)
                if links:
                    buf_link += len(text)
            node = node.next
            continue
        checked += 1
        if checked % _DEADLINE_EVERY == 0 and time.monotonic() > deadline:
            raise WalkTimeout()
        known = _BY_ID.get(tag_id)
        if known is None:
            tag = node.tag
            kind = _KIND.get(tag, _INLINE)
        else:
            kind, tag = known
        if kind == _INLINE:  # span, b, em, ...: walk into it, nothing to do on the way out
            child = node.first_child
            if child is None:
                node = node.next
            else:
                stack.append((node, 0, cur))
                node = child
            continue
        if kind == _SKIP:
            node = node.next
            continue
        if kind == _BR:
            buf.append(BR)
            node = node.next
            continue
        if kind == _IMG:
            attrs = node.attributes
            if tag != "img" and img.pick_url(attrs, max_srcset_width) is None:
                # an <amp-img> with no URL of its own: the <img> inside (AMP's rendered one or
                # the <noscript> fallback; not the data: sizer) names the picture
                inner = (i.attributes for i in node.css("img") if img.pick_url(i.attributes, max_srcset_width))
                attrs = next(inner, attrs)
            add_image(attrs)  # (never its inner <img>s as well: they are the same picture)
            node = node.next
            continue
        if kind == _SOURCE:
            if picture_sources is not None:
                # (data-srcset first: lazy loaders leave a placeholder in srcset)
                srcset = node.attrs.get("data-srcset") or node.attrs.get("srcset")
                if srcset:
                    picture_sources.append(srcset)
            node = node.next
            continue
        flags = 0
        back = cur
        if kind == _BLOCK:
            attrs = node.attributes
            style = attrs.get("style")
            if "hidden" in attrs or (style and ("none" in style or "hidden" in style) and HIDDEN_STYLE.search(style)):
                node = node.next
                continue
            if buf:
                flush()
            if tag == "table":
                table = _table_text(node)
                if table is not None:
                    boxes.append(Box(cur, "table", in_article=boxes[cur].in_article))
                    cur_saved, cur = cur, len(boxes) - 1
                    buf.append(table)
                    pre_depth += 1
                    flush()
                    pre_depth -= 1
                    table_box = boxes[cur]
                    parent = boxes[cur_saved]
                    parent.text += table_box.text
                    parent.commas += table_box.commas
                    cur = cur_saved
                    node = node.next
                    continue
            klass = attrs.get("class") or ""
            element_id = attrs.get("id")
            if klass or element_id:
                weight, unlikely, byline = judge_class(klass, _chrome_id(element_id) if element_id else "")
            else:  # (most <p>, <li>, <td>: nothing to judge)
                weight, unlikely, byline = 0, 0, False
            role = (attrs.get("role") or "").lower()
            parent_box = boxes[cur]
            in_article = parent_box.in_article or tag in ("article", "main") or role == "main"
            if tag in BOILERPLATE_TAGS or role in BOILERPLATE_ROLES:
                # Navigation, footers, sidebars: never the article; not walking them saves a third of the time.
                node = node.next
                continue
            if tag == "header" and not in_article:
                chrome = CHROME_BY_TAG
            elif unlikely and tag not in ("article", "main"):
                chrome = CHROME_BY_CLASS
            else:
                chrome = 0
            box = Box(cur, tag, weight, chrome)  # (keyword arguments would cost as much again)
            if in_article:
                box.in_article = True
            if klass:
                box.klass = klass
            if byline:
                box.byline = True
            if unlikely == 2:
                box.sure = True
            if links:
                box.in_link = True
            boxes.append(box)
            cur = len(boxes) - 1
            flags = _BOX
            if tag == "pre":
                pre_depth += 1
                flags |= _PRE
            elif tag == "figure":
                figure_starts.append(len(items))
                flags |= _FIGURE
        elif kind == _A:
            links.append(node)
            flags = _LINK
        elif kind == _PICTURE_TAG:
            picture_sources = []
            picture_start = len(items)
            flags = _PICTURE
        elif kind == _NOSCRIPT_TAG:
            noscript_depth += 1
            if _only_text(node):
                # Markup a scripting browser kept as text ("&lt;img ...&gt;"), or a "please enable
                # JavaScript" line: never prose, but its <img> is the fallback of a lazy image.
                raw = node.text(deep=True)
                if "<img" in raw:
                    for fallback in LexborHTMLParser(raw).css("img"):
                        add_image(fallback.attributes)
                noscript_depth -= 1
                node = node.next
                continue
            flags = _NOSCRIPT
        child = node.first_child
        if child is None:
            if flags:
                stack.append((node, flags, back))
                node = None
            else:
                node = node.next
            continue
        stack.append((node, flags, back))
        node = child
    flush()
    return result


def finish_image(item: ImageItem, boxes: list[Box], base_url: str, max_srcset_width: int) -> str | None:
    """For an image the article keeps: its other candidate URLs, and why it is site furniture
    (a stats reason) or None."""
    node = item.node
    if node is None:
        return item.reason
    reason = img.furniture_rejection(item.attrs, node.src, _box_classes(boxes, item.box, img.VIDEO_ANCESTORS),
                                     in_figure=item.figure)
    if reason:
        return reason
    if not node.candidates:
        urls = img.candidate_urls(item.attrs, max_srcset_width, item.sources)
        resolved = (resolve(u, base_url) for u in urls)
        node.candidates = list(dict.fromkeys([node.src, *(u for u in resolved if u)]))
    return None


def _box_classes(boxes: list[Box], b: int, depth: int) -> list[str]:
    """The classes of box `b` and up to `depth - 1` boxes above it."""
    out = []
    while b > 0 and len(out) < depth:
        out.append(boxes[b].klass)
        b = boxes[b].parent
    return out


def _figure_without_img(figure, items: list, start: int, box: int, base_url: str) -> None:
    """A <figure> whose <img> a script inserts later often names the image in an attribute."""
    for value in figure.attributes.values():
        if value and (m := img.IMAGE_URL.search(value)):
            url = resolve(m.group(0), base_url)
            if url:
                items.insert(start, ImageItem(box, ImageNode(url, candidates=[url])))
            return


def _attach_caption(items: list, boxes: list[Box], start: int) -> None:
    """Inside a <figure>: the caption goes into its images' metadata, and right after the last one."""
    fig = items[start:]
    pics = [i for i in fig if isinstance(i, ImageItem) and i.node is not None]
    caps = [i for i in fig if isinstance(i, TextItem) and _in_figcaption(boxes, i.box)]
    if not pics or not caps:
        return
    caption = " ".join(c.text for c in caps)
    for pic in pics:
        pic.node.caption = caption
    rest = [i for i in fig if not any(i is c for c in caps)]
    pos = next(k for k in range(len(rest) - 1, -1, -1) if rest[k] is pics[-1]) + 1
    items[start:] = rest[:pos] + caps + rest[pos:]


def _in_figcaption(boxes: list[Box], b: int) -> bool:
    while b >= 0:
        tag = boxes[b].tag
        if tag == "figcaption":
            return True
        if tag == "figure":
            return False
        b = boxes[b].parent
    return False
