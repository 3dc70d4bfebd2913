"""Which boxes of a walked page are the article: a Readability-style score over boxes.

Every paragraph of 25+ characters outside page chrome adds to the score of the boxes
above it (its parent fully, grandparent half, then less). The best box, discounted by
its link density, is the article's core; siblings that score well or read like prose
join it. Inside, lists and blocks that are mostly links are cleaned away. When that
leaves too little text (a wrapper's class said "sidebar"), it tries again trusting
class names less, as Readability does.
"""

from __future__ import annotations

from builder.extract.patterns import HEADINGS, words
from builder.extract.pictures import content_picture
from builder.extract.walker import CHROME_BY_CLASS, CHROME_BY_TAG, Box, ImageItem, TextItem, WalkResult

MIN_PARAGRAPH = 25
WEAK_TOP = 30.0  # a best box scoring below this is a guess: let it grow into a richer parent
ENOUGH_TEXT = 500  # characters: below this an attempt is retried with looser rules
BYLINE_MAX = 100  # characters: a longer "author" box is an author bio, judged like any other
_TAG_BASE = {
    "div": 5, "article": 8, "main": 8, "section": 3, "pre": 3, "td": 3, "blockquote": 3,
    "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3, "form": -3,
    "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5, "th": -5,
}
_PARAGRAPH_BOXES = words("p pre td li blockquote dd dt h1 h2 h3 h4 h5 h6 figcaption")
_SECTIONS = words("section article")  # siblings with the same tag are parts of one text
_CLEANABLE = words("div section ul ol dl table form aside header")
# (lowest chrome level treated as chrome, clean lists of links) per attempt.
_ATTEMPTS = ((CHROME_BY_CLASS, True), (CHROME_BY_TAG, True), (CHROME_BY_TAG + 1, False))

Items = list[TextItem | ImageItem]


def link_density(box: Box) -> float:
    return box.link / box.text if box.text else 0.0


def select(walked: WalkResult) -> Items:
    """The items of the article, in document order."""
    best: Items = []
    best_len = -1
    for chrome_level, clean in _ATTEMPTS:
        chosen = _attempt(walked, chrome_level, clean)
        length = sum(len(i.text) for i in chosen if isinstance(i, TextItem))
        if best_len < 0 or length > 2 * best_len:  # looser rules must earn their noise
            best, best_len = chosen, length
        if length >= ENOUGH_TEXT:
            break
    return best


def _attempt(walked: WalkResult, chrome_level: int, clean: bool) -> Items:
    boxes, items = walked.boxes, walked.items
    n = len(boxes)
    chrome = [False] * n
    # A wrapper holding most of the page's prose is not chrome, whatever its class says.
    big = (boxes[0].text - boxes[0].link) * 0.5
    for b, box in enumerate(boxes):
        if box.parent >= 0:
            is_chrome = (box.chrome >= chrome_level and not (
                box.chrome == CHROME_BY_CLASS and not box.sure and box.text - box.link > big
            )) or (box.byline and box.text < BYLINE_MAX and chrome_level <= CHROME_BY_TAG)
            chrome[b] = is_chrome or chrome[box.parent]
    score = [0.0] * n
    scored = [False] * n
    for item in items:
        if not isinstance(item, TextItem) or chrome[item.box] or len(item.text) < MIN_PARAGRAPH:
            continue
        if item.tag in HEADINGS:  # a title names the article; it is not the article
            continue
        text = item.text
        points = 1 + text.count(",") + text.count("，") + text.count("、") + min(len(text) // 100, 3)
        # A paragraph scores its parent and up; text straight in a div scores that div and up.
        b = item.box
        if boxes[b].tag in _PARAGRAPH_BOXES:
            b = boxes[b].parent
        level = 0
        while b >= 0 and level < 5:
            if not scored[b]:
                scored[b] = True
                score[b] = _TAG_BASE.get(boxes[b].tag, 0) + boxes[b].weight
            score[b] += points if level == 0 else points / 2 if level == 1 else points / (level * 3)
            b, level = boxes[b].parent, level + 1

    candidates = [b for b in range(n) if scored[b] and not chrome[b]]
    if not candidates:
        return [i for i in items if not chrome[i.box]]
    final = {b: score[b] * (1 - link_density(boxes[b])) for b in candidates}
    top = max(candidates, key=lambda b: final[b])
    top_score = final[top]
    top = _climb(boxes, top, final, chrome)

    region = [False] * n
    region[top] = True
    parent = boxes[top].parent
    threshold = max(10.0, top_score * 0.2)
    if parent >= 0:
        siblings = [b for b in range(n) if boxes[b].parent == parent]
        top_box = boxes[top]
        for b in siblings:
            if b != top and not chrome[b]:
                alike = boxes[b].tag == top_box.tag and boxes[b].klass == top_box.klass
                bonus = top_score * 0.2 if alike and (top_box.klass or top_box.tag in _SECTIONS) else 0
                if (b in final and final[b] + bonus >= threshold) or _reads_like_prose(boxes[b]):
                    region[b] = True
        # Picture blocks between two parts of the article belong to it, and so does one right
        # before it (the lead picture above the text).
        chosen = [b for b in siblings if region[b]]
        lead = _lead_picture(boxes, [b for b in siblings if b < chosen[0] and (boxes[b].text or boxes[b].images)],
                             chrome)
        for b in siblings:
            if region[b] or chrome[b] or not _picture_block(boxes[b]):
                continue
            if chosen[0] < b < chosen[-1] or b in lead:
                region[b] = True
    keep = [False] * n
    for b in range(n):
        p = boxes[b].parent
        inside = region[b] or (p >= 0 and keep[p])
        keep[b] = inside and not chrome[b] and not (clean and b != top and _cleaned(boxes[b], score[b], big))
    # Prose a little further out (a lead paragraph above the article body) joins too.
    near = [False] * n
    outer = parent if parent < 0 else max(0, boxes[parent].parent)
    if outer > 0:
        for b in range(outer, n):
            p = boxes[b].parent
            near[b] = (b == outer or (p >= 0 and near[p])) and not chrome[b]
    last_kept = max((i for i, item in enumerate(items) if keep[item.box]), default=-1)
    rescued = _pictures_inside(items, boxes, keep, parent)
    out: Items = []
    for position, item in enumerate(items):
        if clean and isinstance(item, TextItem) and item.link > 0.6 * len(item.text) and item.tag != "li":
            continue  # a "read more" / "related" line inside the article
        if keep[item.box] or position in rescued or (
            (item.box == parent or (near[item.box] and position < last_kept))
            and isinstance(item, TextItem)
            and _prose(item)
        ):
            out.append(item)  # (or loose text beside the article box, inside its parent)
    return out


LEAD_REACH = 3  # boxes before the article's text searched for its lead picture


def _lead_picture(boxes: list[Box], before: list[int], chrome: list[bool]) -> list[int]:
    """The picture block just before the article's text, over the share bars, dates and bylines
    that often sit between a lead picture and the text; not over prose (then it is not the lead)."""
    for b in reversed(before[-LEAD_REACH:]):
        box = boxes[b]
        if _picture_block(box) and not chrome[b]:
            return [b]
        if box.text - box.link > 200:
            break
    return []


def _pictures_inside(items: Items, boxes: list[Box], keep: list[bool], region_parent: int) -> set[int]:
    """Positions of pictures that sit between the article's paragraphs in a wrapper whose class
    sounds like chrome ("gallery", "widget", "media", "lightbox", ...): their place in the body
    and their size outweigh the class name. Not rescued: wrappers that hold prose of their own,
    wrappers no article ever uses (cookie banners, modals), pictures that link to other pages
    (related-article teasers) or are declared small or named like logos and icons."""
    kept_text = [i for i, item in enumerate(items) if isinstance(item, TextItem) and keep[item.box]]
    if len(kept_text) < 2:
        return set()
    out: set[int] = set()
    for position in range(kept_text[0] + 1, kept_text[-1]):
        item = items[position]
        if not isinstance(item, ImageItem) or item.node is None or keep[item.box] or not content_picture(item):
            continue
        b = item.box
        while b > 0 and not keep[b] and b != region_parent:
            box = boxes[b]
            if box.sure or box.tag == "header" or box.text - box.link > 200 * max(1, box.images):
                break
            b = box.parent
        else:
            if b > 0 or region_parent == 0:
                out.add(position)
    return out


def _climb(boxes: list[Box], top: int, final: dict[int, float], chrome: list[bool]) -> int:
    """Move up from the best box while its parent is the better container of the same article."""
    weak = final[top] < WEAK_TOP
    ranked = sorted(final, key=lambda b: final[b], reverse=True)[:5]
    alternatives = [b for b in ranked[1:] if final[b] >= 0.75 * final[top]]
    if len(alternatives) >= 3:
        b = boxes[top].parent
        while b > 0:  # (not up to <body>: that would be the whole page)
            if sum(1 for alt in alternatives if _is_ancestor(boxes, b, alt)) >= 3:
                top = b
                break
            b = boxes[b].parent
    # A parent whose only block child is the top box holds the same content; a weak top
    # (a short page) grows into a parent that is mostly more prose, not links.
    while boxes[top].parent > 0:
        p = boxes[top].parent
        same = boxes[p].text <= boxes[top].text * 1.05 and boxes[p].images <= boxes[top].images
        richer = weak and not chrome[p] and boxes[top].text < 0.5 * boxes[p].text and link_density(boxes[p]) < 0.25
        if not (same or richer):
            break
        top = p
    return top


def _is_ancestor(boxes: list[Box], a: int, b: int) -> bool:
    while b >= 0:
        if b == a:
            return True
        b = boxes[b].parent
    return False


def _reads_like_prose(box: Box) -> bool:
    if box.tag != "p":
        return False
    density = link_density(box)
    return (box.text > 80 and density < 0.25) or (0 < box.text <= 80 and density == 0)


def _picture_block(box: Box) -> bool:
    return box.images > 0 and box.text <= 200 * box.images and link_density(box) < 0.5


def _prose(item: TextItem) -> bool:
    length = len(item.text)
    density = item.link / length if length else 1.0
    return (length > 80 and density < 0.25) or (0 < length <= 80 and density == 0 and ". " in item.text)


def _cleaned(box: Box, score: float, big: float) -> bool:
    """A box inside the article that is not part of it: mostly links, or chrome-classed without prose
    (unless it holds most of the page's text)."""
    if box.weight < 0 and box.tag in _CLEANABLE and score <= 0 and box.text - box.link <= big:
        return True
    return _mostly_links(box)


def _mostly_links(box: Box) -> bool:
    """Readability's conditional cleaning: a list or block inside the article that is mostly links."""
    if box.tag not in _CLEANABLE or box.commas >= 10:
        return False
    density = link_density(box)
    if box.weight < 0 and density > 0.1:
        return True
    if density > 0.5:
        return True
    return box.weight < 25 and density > 0.33 and box.tag not in ("ul", "ol")
