"""Bring any decoded Pillow image to 8-bit RGB: CMYK, palettes with transparency, alpha, 16-bit, float."""

from __future__ import annotations

import numpy as np
from PIL import Image

_BACKGROUND = (255, 255, 255)  # transparent pixels become white, as browsers show them on most pages


def _high_depth_to_l(im: Image.Image) -> Image.Image:
    """16-bit / 32-bit int / float greyscale to 8-bit, scaling the range instead of clipping it."""
    arr = np.asarray(im, dtype=np.float64)
    if im.mode.startswith("I;16"):
        scaled = arr / 257.0
    elif im.mode == "F":
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        scaled = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
    else:  # "I": usually 16-bit data widened to 32 bits
        hi = float(arr.max()) if arr.size else 0.0
        scaled = arr / 257.0 if hi > 255 else arr
    return Image.fromarray(np.clip(np.nan_to_num(scaled), 0, 255).astype(np.uint8), "L")


def _flatten_alpha(im: Image.Image) -> Image.Image:
    rgba = im.convert("RGBA")
    out = Image.new("RGB", rgba.size, _BACKGROUND)
    out.paste(rgba, mask=rgba.getchannel("A"))
    return out


def to_rgb(im: Image.Image) -> Image.Image:
    mode = im.mode
    if mode == "RGB":
        return im
    if mode.startswith("I") or mode == "F":
        return _high_depth_to_l(im).convert("RGB")
    if mode == "P":
        if "transparency" in im.info:
            return _flatten_alpha(im)
        return im.convert("RGB")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return _flatten_alpha(im)
    if mode in ("L", "1") and "transparency" in im.info:
        return _flatten_alpha(im)
    return im.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV, RGBX
