"""Settings of the global deduplication passes.

One sub-section per pass, each with its own ``enabled``. The passes run in this order,
each over the documents the previous ones kept: urls, images (frequency), image_sets,
near_duplicates, paragraphs. See docs/dedup.md.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from builder.config_base import Section


class UrlDedupConfig(Section):
    """Documents with the same (normalized) URL: one is kept, by the keep rule (latest crawl first)."""

    enabled: bool = True


class ImageFrequencyConfig(Section):
    """Images found in many documents (logos, icons, buttons) are removed everywhere."""

    enabled: bool = True
    # An image found in more than this many distinct documents is removed (OBELICS: 10).
    max_documents: int = Field(10, ge=1)
    # The same image again inside one document (same bytes, URL, or perceptual hash) is removed.
    remove_repeats_in_document: bool = True


class PerceptualConfig(Section):
    """Image identity by perceptual hash (``info["phash"]``): the same picture at another URL or size."""

    enabled: bool = True
    # Two pHashes within this Hamming distance (of 64 bits) are the same picture.
    max_distance: int = Field(2, ge=0, le=10)


class ImageSetConfig(Section):
    """Documents with exactly the same set of images (after frequent ones are removed)."""

    enabled: bool = True
    min_images: int = Field(1, ge=1)  # documents with fewer images take no part


class ParagraphConfig(Section):
    """Paragraphs repeated in several documents of one domain (boilerplate) are removed."""

    enabled: bool = True
    min_documents: int = Field(3, ge=2)  # OBELICS: 3 or more
    min_chars: int = Field(0, ge=0)  # shorter paragraphs are never counted nor removed


class NearDuplicateConfig(Section):
    """MinHash over word n-grams, LSH banding, candidate pairs verified, union-find clusters."""

    enabled: bool = True
    ngram: int = Field(5, ge=1, le=16)
    bands: int = Field(14, ge=1)
    rows: int = Field(8, ge=1)  # num_perm = bands * rows
    # Candidate pairs whose estimated Jaccard (share of equal MinHash values) is below this are not linked.
    threshold: float = Field(0.7, ge=0.0, le=1.0)
    seed: int = Field(1, ge=0)
    # Groups of documents sharing a band larger than this are linked as a star, not pairwise.
    max_pairwise_group: int = Field(32, ge=2)

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows


class DedupConfig(Section):
    enabled: bool = False
    urls: UrlDedupConfig = Field(default_factory=UrlDedupConfig)
    images: ImageFrequencyConfig = Field(default_factory=ImageFrequencyConfig)
    perceptual: PerceptualConfig = Field(default_factory=PerceptualConfig)
    image_sets: ImageSetConfig = Field(default_factory=ImageSetConfig)
    near_duplicates: NearDuplicateConfig = Field(default_factory=NearDuplicateConfig)
    paragraphs: ParagraphConfig = Field(default_factory=ParagraphConfig)
    # Documents that dedup leaves without any image or without any text are dropped (doc.dedup_empty).
    drop_emptied: bool = True
    # Memory the reduce step may use for one key range of the on-disk sorted runs.
    reduce_memory_mb: int = Field(64, ge=1)
    # Key buckets of the reduce: each pass's keys are split by hash into this many tasks, so
    # no task holds the whole corpus. 0 = one bucket per 100,000 documents (at least one).
    reduce_buckets: int = Field(0, ge=0, le=65536)

    @model_validator(mode="after")
    def _check(self) -> DedupConfig:
        if self.near_duplicates.num_perm > 1024:
            raise ValueError("near_duplicates.bands * rows must be at most 1024")
        return self
