"""Which boxes of a walked page are the article: a Readability-style score over boxes.

Every paragraph of 25+ characters outside page chrome adds to the score of the boxes
above it (its parent fully, grandparent half, then less). The best box, discounted by
its link density, is the article's core; siblings that score well or read like prose
join it. Inside, lists and blocks that are mostly links are cleaned away. When that
leaves too little text (a wrapper's class said "sidebar"), it tries again trusting
class names less, as Readability does.
"""

from __future__ import annotations

from builder.extract.patterns import is_stripped, words
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
# Text that scores, as Readability scores it: paragraphs (and text straight in a div), cells,
# preformatted text and subheadings; not list items, captions or a page title (h1).
_UNSCORED = words("h1 li dd dt blockquote figcaption th caption")
_SECTIONS = words("section article")  # siblings with the same tag are parts of one text
_CLEANABLE = words("div section ul ol dl table form aside header")
# (lowest chrome level treated as chrome, clean lists of links) per attempt.
_ATTEMPTS = ((CHROME_BY_CLASS, True), (CHROME_BY_TAG, True), (CHROME_BY_TAG + 1, False))

Items = list[TextItem | ImageItem]


def link_density(box: Box) -> float:
    """The share of the box's text inside links of its own (a box inside a link has none: Readability
    counts the links inside a box)."""
    return box.link / box.text if box.text and not box.in_link else 0.0


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
    score, scored = _scores(boxes, items, chrome)
    candidates = [b for b in range(n) if scored[b] and not chrome[b]]
    if not candidates:
        return [i for i in items if not chrome[i.box]]
    text, link = _shown_text(boxes, chrome)
    final = {b: score[b] * (1 - (link[b] / text[b] if text[b] > 0 else 0.0)) for b in candidates}
    best = max(candidates, key=lambda b: final[b])
    top = _climb(boxes, best, final, chrome)
    keep = _keep(boxes, _region(boxes, top, final, chrome), top, chrome, clean, score, big)
    # Pictures: Readability's container, a parent that scores higher than the box below it (a lead
    # photo above the text box, a gallery between parts of the text), is the article's; text stays
    # with the tighter box (a wider one brings in teasers and captions of the page's chrome).
    wide = _better_parent(boxes, best, final)
    keep_pictures = keep if wide == top or not _is_ancestor(boxes, wide, top) else _keep(
        boxes, _region(boxes, wide, final, chrome), wide, chrome, clean, score, big)
    parent = boxes[top].parent
    # Prose a little further out (a lead paragraph above the article body) joins too.
    near = [False] * n
    outer = parent if parent < 0 else max(0, boxes[parent].parent)
    if outer > 0:
        for b in range(outer, n):
            p = boxes[b].parent
            near[b] = (b == outer or (p >= 0 and near[p])) and not chrome[b]
    last_kept = max((i for i, item in enumerate(items) if keep[item.box]), default=-1)
    rescued = _pictures_inside(items, boxes, keep_pictures)
    out: Items = []
    for position, item in enumerate(items):
        if isinstance(item, ImageItem):
            if keep[item.box] or keep_pictures[item.box] or position in rescued:
                out.append(item)
            continue
        if clean and item.link > 0.6 * len(item.text) and item.tag != "li":
            continue  # a "read more" / "related" line inside the article
        if keep[item.box] or (
            (item.box == parent or (near[item.box] and position < last_kept)) and _prose(item)
        ):
            out.append(item)  # (or loose text beside the article box, inside its parent)
    return out


def _scores(boxes: list[Box], items: Items, chrome: list[bool]) -> tuple[list[float], list[bool]]:
    """Readability's scores: each paragraph of 25+ characters outside chrome gives 2 points (the
    paragraph, and its first comma-separated piece), 1 per further comma and 1 per 100 characters
    (up to 3) to the box around it (fully), the next box up (half) and three more (1/(3 × level)).
    Paragraphs, cells, preformatted text and subheadings score; list items, captions and the page
    title (h1) do not. A <section> also scores as one paragraph of all its text. A box
    that scores starts from its tag's base and its class/id weight."""
    n = len(boxes)
    score = [0.0] * n
    scored = [False] * n
    leaf = [True] * n
    for box in boxes[1:]:
        leaf[box.parent] = False
    units: list[tuple[int, int]] = []
    for item in items:
        if not isinstance(item, TextItem) or chrome[item.box] or len(item.text) < MIN_PARAGRAPH:
            continue
        if item.tag in _UNSCORED:
            continue
        text = item.text
        points = 2 + text.count(",") + text.count("，") + text.count("、") + min(len(text) // 100, 3)
        # A paragraph scores from its parent up, and so does a div holding text and nothing else
        # (Readability reads it as a paragraph); text beside blocks in a div scores from that div.
        b = item.box
        if boxes[b].tag in _PARAGRAPH_BOXES or (leaf[b] and boxes[b].tag == "div" and not boxes[b].images):
            b = boxes[b].parent
        units.append((b, points))
    for b, box in enumerate(boxes):
        if box.tag == "section" and box.text >= MIN_PARAGRAPH and not chrome[b]:
            units.append((box.parent, 2 + box.commas + min(box.text // 100, 3)))
    for b, points in units:
        level = 0
        while b >= 0 and level < 5:
            if not scored[b]:
                scored[b] = True
                score[b] = _TAG_BASE.get(boxes[b].tag, 0) + boxes[b].weight
            score[b] += points if level == 0 else points / 2 if level == 1 else points / (level * 3)
            b, level = boxes[b].parent, level + 1
    return score, scored


def _shown_text(boxes: list[Box], chrome: list[bool]) -> tuple[list[int], list[int]]:
    """Each box's text and link characters less those of the chrome inside it: Readability removes
    that chrome (share bars, sidebars) before it measures a box's link density."""
    n = len(boxes)
    gone_text = [0] * n
    gone_link = [0] * n
    for b in range(n - 1, 0, -1):  # (children come after their parent)
        p = boxes[b].parent
        if chrome[b]:
            if not chrome[p]:
                gone_text[p] += boxes[b].text
                gone_link[p] += boxes[b].link
        else:
            gone_text[p] += gone_text[b]
            gone_link[p] += gone_link[b]
    return ([box.text - gone for box, gone in zip(boxes, gone_text)],
            [box.link - gone for box, gone in zip(boxes, gone_link)])


def _own_score(boxes: list[Box], b: int, final: dict[int, float]) -> float:
    """A box's final score; one that no paragraph reached has its tag's base and class weight."""
    return final.get(b, _TAG_BASE.get(boxes[b].tag, 0) + boxes[b].weight)


def _region(boxes: list[Box], top: int, final: dict[int, float], chrome: list[bool]) -> list[bool]:
    """The top box and the siblings that join it, as Readability joins them: a sibling that scores
    well (with a bonus for sharing the top's class), or a paragraph that reads like prose. A
    picture block beside the text scores nothing and does not join: pictures come in with the
    container that holds them (`_better_parent`)."""
    region = [False] * len(boxes)
    region[top] = True
    parent = boxes[top].parent
    if parent < 0:
        return region
    top_score = _own_score(boxes, top, final)  # (the chosen box's own: a climbed-to parent scores less)
    threshold = max(10.0, top_score * 0.2)
    top_box = boxes[top]
    for b in range(len(boxes)):
        if boxes[b].parent != parent or b == top or chrome[b]:
            continue
        alike = boxes[b].tag == top_box.tag and boxes[b].klass == top_box.klass
        bonus = top_score * 0.2 if alike and (top_box.klass or top_box.tag in _SECTIONS) else 0
        if (b in final and final[b] + bonus >= threshold) or _reads_like_prose(boxes[b]):
            region[b] = True
    return region


def _keep(boxes: list[Box], region: list[bool], top: int, chrome: list[bool], clean: bool, score: list[float],
          big: float) -> list[bool]:
    """The boxes inside the region, less chrome and (when cleaning) link lists and chrome-classed boxes."""
    keep = [False] * len(boxes)
    for b, box in enumerate(boxes):
        p = box.parent
        inside = region[b] or (p >= 0 and keep[p])
        keep[b] = inside and not chrome[b] and not (clean and b != top and _cleaned(box, score[b], big))
    return keep


def _better_parent(boxes: list[Box], top: int, final: dict[int, float]) -> int:
    """Readability's climb: going up from the top box, a scored parent that scores higher than the
    last one seen holds more of the same article (its parts, the lead photo above them) and is the
    better container; the climb stops when the scores fall under a third of the top's."""
    last = _own_score(boxes, top, final)
    floor = last / 3
    b = boxes[top].parent
    while b > 0:  # (not up to <body>: that would be the whole page)
        if b in final:
            if final[b] < floor:
                break
            if final[b] > last:
                return b
            last = final[b]
        b = boxes[b].parent
    return top


def _pictures_inside(items: Items, boxes: list[Box], keep: list[bool]) -> set[int]:
    """Positions of pictures that sit between the article's paragraphs, inside its container, in a
    wrapper whose class sounds like chrome ("gallery", "widget", "media", "lightbox", ...): their
    place in the body and their size outweigh the class name. Not rescued: wrappers that hold prose of their own,
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
        while b > 0 and not keep[b]:
            box = boxes[b]
            prose = box.text - box.link > 200 * max(1, box.images)
            if box.sure or box.tag == "header" or prose or (box.klass and is_stripped(box.klass.lower())):
                break
            b = box.parent
        if keep[b]:
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
