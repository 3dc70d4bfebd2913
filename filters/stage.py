"""The filter stages the pipeline runs, split around the image fetch.

Before images are fetched: the domain blocklist (when on), paragraph and document text
filters, PII placeholders (when on), then banned URL words (no point fetching the images of
a document that is dropped anyway). After: image format, size,
aspect ratio and NSFW (they need the fetched image), then the image-count / text rules.
"""

from __future__ import annotations

from builder.errors import ConfigError
from builder.stage import Stage
from filters.blocklist_stage import BlocklistStage
from filters.config import FiltersConfig
from filters.document_rules import DocumentRulesStage
from filters.image_stage import ImageFilterStage, ImageUrlFilterStage
from filters.nsfw import nudenet_available
from filters.pii_stage import PiiStage
from filters.text_stage import TextFilterStage


def build_filter_stages(config: FiltersConfig, reuse_scores: bool = False) -> tuple[list[Stage], list[Stage]]:
    """(stages before the image fetch, stages after). `reuse_scores`: trust stored scores."""
    if not config.enabled:
        return [], []
    if config.images.nsfw.enabled and not nudenet_available():
        raise ConfigError("filters.images.nsfw.enabled is true but NudeNet is not installed: "
                              "pip install 'loom[nsfw]', or set filters.images.nsfw.enabled: false")
    before: list[Stage] = [TextFilterStage(config, reuse_scores), ImageUrlFilterStage(config)]
    if config.pii.enabled:  # after the text filters: scores are measured on the text as published
        before.insert(1, PiiStage(config.pii))
    if config.blocklist.enabled:  # first: nothing is measured or fetched for a blocked page
        before.insert(0, BlocklistStage(config.blocklist))
    after: list[Stage] = [ImageFilterStage(config, reuse_scores), DocumentRulesStage(config)]
    return before, after
