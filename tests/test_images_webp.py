"""WebP through libwebp directly: which files take that path, sizes, hashes against Pillow's path, failures."""

from __future__ import annotations

import io

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageDraw

import builder.images.webp_still as webp_still
from builder.images.config import DecodeConfig
from builder.images.decode import decode_image
from builder.images.errors import ImageRejected

pytestmark = pytest.mark.skipif(not webp_still.available(), reason="no libwebp with a known decoder ABI")


def smooth(w: int, h: int, seed: int = 0) -> Image.Image:
    """A photo-like image: large soft-edged shapes and a little noise (its phash is stable, as a photo's)."""
    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (w, h), (200, 180, 160))
    draw = ImageDraw.Draw(im)
    for _ in range(12):
        x, y, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(min(w, h) // 10, min(w, h) // 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    arr = np.asarray(im, dtype=np.float64) + rng.normal(0, 6, (h, w, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def webp(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "WEBP", **{"quality": 90, **kw})
    return buf.getvalue()


def use_pillow_only(monkeypatch) -> None:
    """Decode WebP with Pillow, as before: the reference the direct path is compared with."""
    monkeypatch.setattr(webp_still, "_lib", None)
    monkeypatch.setattr(webp_still, "_loaded", True)


def distance(a: str, b: str) -> int:
    return int(imagehash.hex_to_hash(a) - imagehash.hex_to_hash(b))


def test_simple_size_only_for_opaque_still_webp():
    im = smooth(300, 200)
    assert webp_still.simple_size(webp(im)) == (300, 200)
    assert webp_still.simple_size(webp(im, lossless=True)) == (300, 200)
    rgba = im.convert("RGBA")
    rgba.putalpha(128)
    assert webp_still.simple_size(webp(rgba)) is None  # alpha: Pillow flattens it
    frames = [smooth(64, 48, s) for s in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:])
    assert webp_still.simple_size(buf.getvalue()) is None  # animation
    png = io.BytesIO()
    im.save(png, "PNG")
    assert webp_still.simple_size(png.getvalue()) is None
    assert webp_still.simple_size(b"RIFF\x00\x00\x00\x00WEBPVP8 garbage") is None


@pytest.mark.parametrize("size", [(2000, 1500), (1500, 2000), (981, 500), (980, 700), (300, 200)])
def test_resize_size_and_hash_match_pillow_path(size, monkeypatch):
    data = webp(smooth(*size))
    new = decode_image(data, DecodeConfig())
    use_pillow_only(monkeypatch)
    old = decode_image(data, DecodeConfig())
    for key in ("width", "height", "format", "original_width", "original_height", "original_format"):
        assert new.info[key] == old.info[key]
    assert max(new.info["width"], new.info["height"]) == min(980, max(size))
    assert distance(new.info["phash"], old.info["phash"]) <= 2
    pixels_new = np.asarray(Image.open(io.BytesIO(new.data)), dtype=np.int16)
    pixels_old = np.asarray(Image.open(io.BytesIO(old.data)), dtype=np.int16)
    assert np.abs(pixels_new - pixels_old).mean() < 4  # same picture, only the scaling filter differs


def test_keep_original_keeps_bytes_and_hash(monkeypatch):
    data = webp(smooth(2400, 1600))
    cfg = DecodeConfig(resize_max_side=None, keep_original=True)
    new = decode_image(data, cfg)
    assert new.data == data and new.info["format"] == "webp"
    assert (new.info["width"], new.info["height"]) == (2400, 1600)
    use_pillow_only(monkeypatch)
    old = decode_image(data, cfg)
    assert distance(new.info["phash"], old.info["phash"]) <= 2


@pytest.mark.parametrize("cfg", [DecodeConfig(), DecodeConfig(resize_max_side=None, keep_original=True)])
def test_truncated_and_corrupt_are_reasons(cfg):
    data = webp(smooth(1200, 900))
    for cut in (len(data) // 2, len(data) - 200):
        with pytest.raises(ImageRejected) as exc:
            decode_image(data[:cut], cfg)
        assert exc.value.reason == "truncated"
    broken = bytearray(data)
    broken[40 : len(data) - 40] = bytes(len(data) - 80)  # header intact, bitstream zeroed
    try:
        decode_image(bytes(broken), cfg)
    except ImageRejected as exc:
        assert exc.reason in ("decode_error", "truncated")


def test_limits_still_apply():
    data = webp(smooth(400, 300))
    with pytest.raises(ImageRejected) as exc:
        decode_image(data, DecodeConfig(max_pixels=400 * 300 - 1))
    assert exc.value.reason == "decompression_bomb"
    with pytest.raises(ImageRejected) as exc:
        decode_image(data, DecodeConfig(formats=["JPEG", "PNG"]))
    assert exc.value.reason == "unsupported_format"


def test_alpha_and_exif_webp_still_go_through_pillow():
    rgba = smooth(200, 100).convert("RGBA")
    rgba.putalpha(0)
    out = decode_image(webp(rgba, lossless=True), DecodeConfig(output_format="png"))
    assert Image.open(io.BytesIO(out.data)).getpixel((10, 10)) == (255, 255, 255)  # transparent: white
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: width and height swap
    out = decode_image(webp(smooth(200, 100), exif=exif.tobytes()), DecodeConfig())
    assert (out.info["width"], out.info["height"]) == (100, 200)


def test_threads_decode_in_parallel_without_errors():
    from concurrent.futures import ThreadPoolExecutor

    images = [webp(smooth(800, 600, s)) for s in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda d: decode_image(d, DecodeConfig()).info["phash"], images * 3))
    assert results[:4] == results[4:8] == results[8:]
