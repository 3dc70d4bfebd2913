"""Whether an image is the article's own picture or site furniture (logo, icon, share button).

The content selector decides by boxes; these marks of the image itself (a declared size, a
lightbox link, a figure, its file name) let it keep a picture whose wrapper's class sounds
like chrome, and drop a logo that sits where a picture would.
"""

from __future__ import annotations

import re

from builder.extract.walker import LINK_TO_IMAGE, LINK_TO_PAGE, ImageItem

# Words of the file names and alt texts of site furniture: never an article's own picture.
_FURNITURE = re.compile(
    r"logo|(?<![a-z])icons?(?![a-z])|favicon|avatar|gravatar|sprite|badge|button|emoji|spinner|placeholder|"
    r"(?<![a-z])share|social|facebook|twitter|pinterest|linkedin|whatsapp|instagram|(?<![a-z])rss(?![a-z])",
    re.I,
)
CONTENT_SIDE = 150  # a declared side at least this large: a picture, not an icon


def looks_like_furniture(url: str, alt: str = "") -> bool:
    """Whether the file name (or alt text) names a logo, icon, avatar, share button, ..."""
    name = url.split("?", 1)[0].rsplit("/", 1)[-1]
    return bool(_FURNITURE.search(name) or (alt and _FURNITURE.search(alt)))


def content_picture(item: ImageItem) -> bool:
    """Whether an image item has the marks of an article's own picture beyond
    its wrapper's class: a lightbox or file-page link, a declared size, a <figure>; and none of a
    teaser (a link to another page) or of site furniture (logo, icon, share button)."""
    node = item.node
    if node is None or item.link == LINK_TO_PAGE or looks_like_furniture(node.src, node.alt):
        return False
    if item.link == LINK_TO_IMAGE:
        return True
    size = item.size()
    if size:
        return size >= CONTENT_SIDE
    return item.figure

