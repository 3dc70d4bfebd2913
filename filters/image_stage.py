"""Image filters: banned URL words before fetching; format, size, aspect ratio, NSFW after.

After fetching, the image stage has set ``node.info["format"]``, ``["width"]``,
``["height"]`` (OBELICS judged the original size: ``original_width``/``original_height``
win when present). An image without that info was not fetched and is not judged here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from builder.context import RunContext
from builder.document import Document, ImageNode
from builder.stage import Stage
from filters.config import FiltersConfig
from filters.nsfw import NsfwScorer
from filters.url_words import BannedWordMatcher

# Names Pillow (and the image stage) may give one format.
_FORMAT_ALIASES = {"jpg": "jpeg", "mpo": "jpeg", "tif": "tiff"}


def normalize_format(fmt: str) -> str:
    fmt = fmt.lower().lstrip(".")
    return _FORMAT_ALIASES.get(fmt, fmt)


def image_size(node: ImageNode) -> tuple[int, int] | None:
    info = node.info
    width = info.get("original_width", info.get("width"))
    height = info.get("original_height", info.get("height"))
    if not isinstance(width, (int, float)) or not isinstance(height, (int, float)):
        return None
    return int(width), int(height)


def too_few_images_reason(doc: Document) -> tuple[str, dict[str, int] | None]:
    """The reason to drop a document short of images: the root cause when removals emptied it."""
    causes = doc.removal_reasons("image")
    if not doc.images and causes:
        return "doc.no_image_left", causes
    return "doc.too_few_images", causes or None


class ImageUrlFilterStage(Stage):
    """Before fetching: drop images whose URL holds a banned word (saves fetching them)."""

    name = "filters.image_urls"

    def __init__(self, config: FiltersConfig) -> None:
        self.config = config
        banned = config.images.banned_url_words
        self.matcher = BannedWordMatcher(banned.words, banned.plurals) if banned.enabled else None
        self.drop = config.action == "drop"

    def __call__(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
        for doc in docs:
            if self.filter_document(doc, ctx):
                yield doc

    def filter_document(self, doc: Document, ctx: RunContext) -> bool:
        if self.matcher is None:
            return True
        removed: dict[int, str] = {}
        for node in doc.images:
            banned = self.matcher.first_match(node.src) is not None
            node.scores["banned_url_word"] = 1.0 if banned else 0.0
            if banned:
                removed[id(node)] = "image.banned_url_word"
        self.remove(doc, ctx, removed)
        # Nothing left to fetch: OBELICS's image minimum would drop it later anyway.
        if self.drop and len(doc.images) < self.config.rules.min_images:
            return not self.reject(doc, ctx, *too_few_images_reason(doc))
        return True


class ImageFilterStage(Stage):
    """After fetching: format, sides, aspect ratio and NSFW, in that order."""

    name = "filters.images"

    def __init__(self, config: FiltersConfig, reuse_scores: bool = False) -> None:
        self.config = config
        self.images = config.images
        self.formats = frozenset(normalize_format(f) for f in config.images.formats)
        self.drop = config.action == "drop"
        self.reuse_scores = reuse_scores
        self.nsfw = NsfwScorer(config.images.nsfw.cache_dir) if config.images.nsfw.enabled else None

    def __call__(self, docs: Iterable[Document], ctx: RunContext) -> Iterator[Document]:
        for doc in docs:
            if self.filter_document(doc, ctx):
                yield doc

    def failure(self, node: ImageNode, ctx: RunContext) -> str | None:
        """The first filter `node` fails (its scores are stored on it either way)."""
        fmt = node.info.get("format")
        size = image_size(node)
        if fmt is None and size is None:
            return None  # not fetched: nothing to judge
        if fmt is not None and normalize_format(str(fmt)) not in self.formats:
            return "format"
        if size is not None:
            width, height = size
            cfg = self.images
            if width <= 0 or height <= 0:
                return "size"
            node.scores["aspect_ratio"] = width / height
            if not (cfg.min_side <= width <= cfg.max_side and cfg.min_side <= height <= cfg.max_side):
                return "size"
            if max(width / height, height / width) > cfg.max_aspect_ratio:
                return "aspect_ratio"
        if self.nsfw is not None:
            score = node.scores.get("nsfw") if self.reuse_scores else None
            if score is None and node.data:
                try:
                    score = self.nsfw.score(node.data)
                except Exception:  # undecodable, or the model failed: unchecked images stay out
                    return "nsfw_error"
                node.scores["nsfw"] = score
            if score is not None and score >= self.images.nsfw.threshold:
                return "nsfw"
        return None

    def filter_document(self, doc: Document, ctx: RunContext) -> bool:
        removed: dict[int, str] = {}
        nsfw_in_doc = False
        for node in doc.images:
            reason = self.failure(node, ctx)
            if reason is None:
                continue
            if reason == "nsfw" and self.images.nsfw.action == "drop_document":
                nsfw_in_doc = True
                continue
            removed[id(node)] = "image." + reason
        nsfw_scores = [n.scores["nsfw"] for n in doc.images if "nsfw" in n.scores]
        if nsfw_scores:
            doc.scores["nsfw_max"] = max(nsfw_scores)
        if nsfw_in_doc and self.drop:  # the whole document goes, its images with it
            return not self.reject(doc, ctx, "doc.nsfw")
        self.remove(doc, ctx, removed)
        if nsfw_in_doc:
            self.reject(doc, ctx, "doc.nsfw")  # annotate mode: noted after the image reasons
        return True
