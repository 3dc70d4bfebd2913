"""Settings of the image stage: where bytes come from, how they are fetched and decoded."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from builder.config_base import Section
from builder.net.config import FetchConfig

WEB_FORMATS = ["JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "ICO", "AVIF"]  # JPEG covers MPO


class DecodeConfig(Section):
    max_bytes: int = 20 * 1024 * 1024  # larger inputs are dropped as image.too_large
    max_pixels: int = 40_000_000  # width*height above this: image.decompression_bomb (checked before loading)
    max_frames: int = 1000  # animated images with more frames are dropped; others keep their first frame
    formats: list[str] = Field(default_factory=lambda: list(WEB_FORMATS))  # Pillow format names accepted
    resize_max_side: int | None = 980  # longest side after resizing (Idefics2's); null: never resize
    # Resampling filter for the resize; bilinear is what Idefics2's own image processor uses.
    resample: Literal["bilinear", "bicubic", "lanczos"] = "bilinear"
    output_format: Literal["jpeg", "webp", "png"] = "jpeg"  # format of re-encoded bytes
    quality: int = 90  # JPEG / WebP quality
    keep_original: bool = False  # store the original bytes when no change was needed (RGB/L JPEG/PNG/WebP)

    @field_validator("formats")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return [f.upper() for f in value]

    @field_validator("quality")
    @classmethod
    def _quality(cls, value: int) -> int:
        if not 1 <= value <= 100:
            raise ValueError("quality must be between 1 and 100")
        return value


class PolicyConfig(Section):
    x_robots_tag: bool = True  # honour X-Robots-Tag noai/noimageai/noindex/noimageindex/none
    meta_robots: bool = True  # honour the page's <meta name=robots> noai/noimageai for all its images
    noindex_blocks: bool = True  # noindex/noimageindex/none also drop the image (image.noindex)


class ImagesConfig(Section):
    enabled: bool = True  # False: keep image nodes as URLs only, fetch nothing
    threads: int = 32  # worker threads fetching and decoding
    # Decodes running at once (null: one per CPU). Fetching is I/O-bound and uses all `threads`;
    # decoding is CPU-bound and runs in C without the GIL, so one thread per core uses them all;
    # more threads would only add full-size bitmaps (memory), not speed.
    decode_workers: int | None = None
    # >0: decode in this many worker processes instead (own cores, no GIL shared with fetching);
    # for a run with few partitions. Leave 0 when the executor already uses every core.
    decode_processes: int = Field(0, ge=0)
    max_docs_in_flight: int = 256  # documents held while their images are fetched (order is kept)
    cache_dir: str | None = None  # content-addressed cache of fetched bytes; null: no cache
    # An image fetched from the network with a side below this tries its next candidate URL
    # (another srcset width, src, ...) when it has one; the smallest is kept if none is bigger. 0: off.
    candidate_min_side: int = Field(150, ge=0)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    decode: DecodeConfig = Field(default_factory=DecodeConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)

    @field_validator("threads", "max_docs_in_flight")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be >= 1")
        return value
