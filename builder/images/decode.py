"""Decode, check, normalise, resize, re-encode and hash one image with Pillow.

Limits come before work: bytes first, then the header's pixel count (a decompression bomb
is refused before any pixel is decoded), then frames. JPEGs are decoded at a reduced
scale when they will be shrunk anyway (`Image.draft`), which still reads the whole stream,
so a truncated file is still caught.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

import imagehash
from PIL import Image, ImageOps, UnidentifiedImageError

from builder.images.config import DecodeConfig
from builder.images.errors import ImageRejected
from builder.images.modes import to_rgb
from builder.images.webp_still import decode_still, simple_size

_KEEPABLE = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}
_SAVE = {"jpeg": "JPEG", "webp": "WEBP", "png": "PNG"}
_PHASH_SIDE = 128  # phash looks at 32x32; shrinking first to ~this is quicker and changes nothing material
_RESAMPLE = {
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
_TRANSPOSED = {5, 6, 7, 8}  # EXIF orientations that swap width and height


@dataclass
class DecodedImage:
    data: bytes  # the bytes to store
    info: dict[str, Any] = field(default_factory=dict)


def sniff(data: bytes) -> str | None:
    """A reason for bytes that are plainly not a raster image (SVG, HTML, JSON, PDF), else None."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<svg") or (head.startswith(b"<") and b"<svg" in data[:8192].lower()):
        return "svg"
    if head.startswith((b"<", b"{", b"[", b"%pdf")):
        return "not_an_image"
    return None


def _openable(formats: list[str]) -> list[str]:
    Image.init()
    return [f for f in formats if f in Image.OPEN]


def _unidentified_reason(data: bytes) -> str:
    """``unsupported_format`` for a real image in a format not accepted, else ``not_an_image``."""
    try:
        with Image.open(io.BytesIO(data)):  # header only: nothing is decoded
            return "unsupported_format"
    except Exception:  # noqa: BLE001 - not identifiable by any plugin
        return "not_an_image"


def _target_size(width: int, height: int, max_side: int | None) -> tuple[int, int] | None:
    if not max_side or max(width, height) <= max_side:
        return None
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _load_error(exc: Exception) -> ImageRejected:
    if isinstance(exc, Image.DecompressionBombError):
        return ImageRejected("decompression_bomb", str(exc))
    if isinstance(exc, MemoryError):
        return ImageRejected("too_large", "out of memory while decoding")
    text = str(exc).lower()
    if "truncat" in text:
        return ImageRejected("truncated", str(exc))
    return ImageRejected("decode_error", f"{type(exc).__name__}: {exc}")


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(0x0112, 1) or 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block only loses the orientation
        return 1


def _phash(im: Image.Image) -> str:
    side = max(im.size)
    if side >= 2 * _PHASH_SIDE:
        im = im.reduce(side // _PHASH_SIDE)  # box filter: cheap, and a fine input for a 32x32 DCT
    return str(imagehash.phash(im))


def _replace(old: Image.Image, new: Image.Image) -> Image.Image:
    """`new`, freeing `old`'s pixels now rather than at the end of the call (peak memory)."""
    if new is not old:
        old.close()
    return new


def _encode(im: Image.Image, fmt: str, quality: int) -> bytes:
    buf = io.BytesIO()
    if fmt == "png":
        im.save(buf, "PNG", compress_level=3)
    elif fmt == "webp":
        im.save(buf, "WEBP", quality=quality, method=4)
    else:
        im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _phash_input_size(width: int, height: int) -> tuple[int, int]:
    """At most 2 x `_PHASH_SIDE` on the longest side: `_phash` then box-reduces it as it would the full image."""
    side = 2 * _PHASH_SIDE
    if max(width, height) <= side:
        return width, height
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _decode_with_pillow(
    im: Image.Image,
    fmt: str,
    frames: int,
    orientation: int,
    target: tuple[int, int] | None,
    keep: bool,
    cfg: DecodeConfig,
) -> Image.Image:
    """Load, make upright, 8-bit RGB and resized to `target` (if any)."""
    if fmt in ("JPEG", "MPO"):
        # Decode at 1/2..1/8 scale when the pixels are only needed smaller (resize or phash).
        want = target if not keep else (_PHASH_SIDE, _PHASH_SIDE)
        if want is not None:
            draft_size = (want[1], want[0]) if orientation in _TRANSPOSED else want
            im.draft(None, draft_size)
    if frames > 1:
        im.seek(0)
    im.load()
    if not keep and orientation != 1:
        im = _replace(im, ImageOps.exif_transpose(im))
    rgb = _replace(im, to_rgb(im))
    if target is not None and rgb.size != target:
        # reducing_gap 1.0: shrink by whole factors with a cheap box filter first, then resample.
        rgb = _replace(rgb, rgb.resize(target, _RESAMPLE[cfg.resample], reducing_gap=1.0))
    return rgb


def decode_image(data: bytes, cfg: DecodeConfig) -> DecodedImage:
    """The stored bytes and their info, or raises `ImageRejected` with the reason."""
    if not data:
        raise ImageRejected("empty")
    if len(data) > cfg.max_bytes:
        raise ImageRejected("too_large", f"{len(data)} bytes")
    reason = sniff(data)
    if reason:
        raise ImageRejected(reason)
    if "WEBP" in cfg.formats:
        size = simple_size(data)
        if size is not None:
            return _decode_simple_webp(data, size, cfg)
    try:
        im = Image.open(io.BytesIO(data), formats=_openable(cfg.formats))
    except UnidentifiedImageError:
        raise ImageRejected(_unidentified_reason(data)) from None
    except Exception as exc:  # noqa: BLE001 - fuzzed headers raise anything; all are a reason
        raise _load_error(exc) from None
    with im:
        return _process(im, data, cfg)


def _result(
    rgb: Image.Image, data: bytes, fmt: str, size: tuple[int, int], frames: int, keep: bool, cfg: DecodeConfig
) -> DecodedImage:
    """Encode (or keep) the final pixels and describe them."""
    if keep:
        out, out_fmt, out_size = data, _KEEPABLE[fmt], size
    else:
        out_fmt = cfg.output_format
        out = _encode(rgb, out_fmt, cfg.quality)
        out_size = rgb.size
    info: dict[str, Any] = {
        "width": out_size[0],
        "height": out_size[1],
        "format": out_fmt,
        "sha256": hashlib.sha256(out).hexdigest(),
        "phash": _phash(rgb),
        "original_width": size[0],
        "original_height": size[1],
        "original_bytes": len(data),
        "original_format": fmt.lower(),
    }
    if frames > 1:
        info["original_frames"] = frames
    return DecodedImage(out, info)


def _decode_simple_webp(data: bytes, size: tuple[int, int], cfg: DecodeConfig) -> DecodedImage:
    """A simple-format WebP (opaque still, no metadata) straight through libwebp, without Pillow's parser."""
    width, height = size
    if width * height > cfg.max_pixels:
        raise ImageRejected("decompression_bomb", f"{width}x{height} pixels")
    target = _target_size(width, height, cfg.resize_max_side)
    keep = cfg.keep_original and target is None
    try:
        rgb = decode_still(data, target if not keep else _phash_input_size(width, height))
        if rgb is None:  # cannot happen once simple_size said yes; kept as a clear error, not a crash
            raise ImageRejected("decode_error", "libwebp unavailable")
        return _result(rgb, data, "WEBP", size, 1, keep, cfg)
    except ImageRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a counted reason, never a crash
        raise _load_error(exc) from None


def _process(im: Image.Image, data: bytes, cfg: DecodeConfig) -> DecodedImage:
    try:
        width, height = im.size
        fmt = (im.format or "").upper()
        if width <= 0 or height <= 0:
            raise ImageRejected("decode_error", f"size {width}x{height}")
        if width * height > cfg.max_pixels:
            raise ImageRejected("decompression_bomb", f"{width}x{height} pixels")
        frames = int(getattr(im, "n_frames", 1) or 1)
        if frames > cfg.max_frames:
            raise ImageRejected("too_many_frames", f"{frames} frames")
        orientation = _orientation(im)
        upright = (height, width) if orientation in _TRANSPOSED else (width, height)
        target = _target_size(*upright, cfg.resize_max_side)
        keep = (
            cfg.keep_original
            and target is None
            and fmt in _KEEPABLE
            and im.mode in ("RGB", "L")
            and orientation == 1
            and frames == 1
        )
        rgb = None
        if fmt == "WEBP" and frames == 1 and orientation == 1:
            # libwebp scales while decoding: to the target, or (keep) to what phash needs.
            rgb = decode_still(data, target if not keep else _phash_input_size(width, height))
        if rgb is None:
            rgb = _decode_with_pillow(im, fmt, frames, orientation, target, keep, cfg)
        return _result(rgb, data, fmt, (width, height), frames, keep, cfg)
    except ImageRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a counted reason, never a crash
        raise _load_error(exc) from None
