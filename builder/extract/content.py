"""Which boxes of a walked page are the article: a Readability-style score over boxes.

Every paragraph of 25+ characters outside page chrome adds to the score of the boxes
above it (its parent fully, grandparent half, then less). The best box, discounted by
its link density, is the article's core; siblings that score well or read like prose
join it. Inside, lists and blocks that are mostly links are cleaned away.
"""

from __future__ import annotations

from builder.extract.walker import Box, ImageItem, TextItem, WalkResult

MIN_PARAGRAPH = 25
_TAG_BASE = {
    "div": 5, "article": 8, "main": 8, "section": 3, "pre": 3, "td": 3, "blockquote": 3,
    "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3, "form": -3,
    "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5, "th": -5,
}
_CLEANABLE = frozenset("div section ul ol dl table form aside header".split())


def link_density(box: Box) -> float:
    return box.link / box.text if box.text else 0.0


def select(walked: WalkResult) -> list[TextItem | ImageItem]:
    """The items of the article, in document order."""
    boxes, items = walked.boxes, walked.items
    n = len(boxes)
    chrome = [False] * n
    depth = [0] * n
    for b, box in enumerate(boxes):
        if box.parent >= 0:
            chrome[b] = box.chrome or chrome[box.parent]
            depth[b] = depth[box.parent] + 1
    score = [0.0] * n
    scored = [False] * n

    for item in items:
        if not isinstance(item, TextItem) or chrome[item.box] or len(item.text) < MIN_PARAGRAPH:
            continue
        text = item.text
        points = 1 + text.count(",") + text.count("，") + min(len(text) // 100, 3)
        b, level = boxes[item.box].parent, 0
        if boxes[item.box].tag not in ("p", "pre", "td", "li", "blockquote", "dd") and item.box >= 0:
            b = item.box  # text straight in a div: the div plays the paragraph's parent
        while b >= 0 and level < 5:
            if not scored[b]:
                scored[b] = True
                score[b] = _TAG_BASE.get(boxes[b].tag, 0) + boxes[b].weight
            score[b] += points if level == 0 else points / 2 if level == 1 else points / (level * 3)
            b, level = boxes[b].parent, level + 1

    candidates = [b for b in range(n) if scored[b] and not chrome[b]]
    if not candidates:
        keep = [not c for c in chrome]
        return [i for i in items if keep[i.box]]
    final = {b: score[b] * (1 - link_density(boxes[b])) for b in candidates}
    top = max(candidates, key=lambda b: final[b])
    best = final[top]
    top = _climb(boxes, top, final)
    final.setdefault(top, best)

    region = [False] * n
    region[top] = True
    parent = boxes[top].parent
    threshold = max(10.0, final[top] * 0.2)
    if parent >= 0:
        for b in range(n):
            if b != top and boxes[b].parent == parent and not chrome[b]:
                bonus = final[top] * 0.2 if boxes[b].weight > 0 and boxes[b].weight == boxes[top].weight else 0
                if (b in final and final[b] + bonus >= threshold) or _reads_like_prose(boxes[b]):
                    region[b] = True
    keep = [False] * n
    for b in range(n):
        p = boxes[b].parent
        keep[b] = (region[b] or (p >= 0 and keep[p])) and not chrome[b] and not _clean(boxes[b], b == top)
    out: list[TextItem | ImageItem] = []
    for item in items:
        if keep[item.box]:
            out.append(item)
        elif item.box == parent and isinstance(item, TextItem) and _prose(item):
            out.append(item)  # loose text beside the article box, inside its parent
    return out


def _climb(boxes: list[Box], top: int, final: dict[int, float]) -> int:
    """Move up from the best box while its parent is the better container of the same article."""
    ranked = sorted(final, key=lambda b: final[b], reverse=True)[:5]
    alternatives = [b for b in ranked[1:] if final[b] >= 0.75 * final[top]]
    if len(alternatives) >= 3:
        ancestors = []
        b = boxes[top].parent
        while b >= 0:
            ancestors.append(b)
            b = boxes[b].parent
        for a in ancestors:
            inside = sum(1 for alt in alternatives if _is_ancestor(boxes, a, alt))
            if inside >= 3:
                top = a
                break
    # A parent whose only block child is the top box holds the same content.
    while boxes[top].parent > 0:
        p = boxes[top].parent
        if boxes[p].text > boxes[top].text * 1.05 or boxes[p].images > boxes[top].images:
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


def _prose(item: TextItem) -> bool:
    length = len(item.text)
    density = item.link / length if length else 1.0
    return (length > 80 and density < 0.25) or (0 < length <= 80 and density == 0 and ". " in item.text)


def _clean(box: Box, is_top: bool) -> bool:
    """Readability's conditional cleaning: a list or block that is mostly links, inside the article."""
    if is_top or box.tag not in _CLEANABLE or box.commas >= 10:
        return False
    density = link_density(box)
    if box.weight < 0 and density > 0.1:
        return True
    if density > 0.5 or (box.weight < 25 and density > 0.33 and box.tag not in ("ul", "ol")):
        return True
    return box.tag in ("ul", "ol") and density > 0.5
