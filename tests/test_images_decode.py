"""Decoding: limits, modes, orientation, animation, resize, re-encode, hashes; the real Pillow corpus."""

from __future__ import annotations

import csv
import hashlib
import io

import numpy as np
import pytest
from PIL import Image

from builder.images.config import DecodeConfig
from builder.images.decode import decode_image
from builder.images.errors import ImageRejected


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def photo(w: int = 400, h: int = 300) -> Image.Image:
    rng = np.random.default_rng(0)
    base = np.linspace(0, 255, w * h * 3).reshape(h, w, 3) + rng.normal(0, 20, (h, w, 3))
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")


def reason(data: bytes, cfg: DecodeConfig | None = None) -> str:
    with pytest.raises(ImageRejected) as exc:
        decode_image(data, cfg or DecodeConfig())
    return exc.value.reason


def test_info_and_resize_to_980():
    out = decode_image(encode(photo(2000, 1000), "JPEG"), DecodeConfig())
    info = out.info
    assert (info["width"], info["height"]) == (980, 490)
    assert (info["original_width"], info["original_height"], info["original_format"]) == (2000, 1000, "jpeg")
    assert info["format"] == "jpeg" and info["sha256"] == hashlib.sha256(out.data).hexdigest()
    assert len(info["phash"]) == 16
    assert Image.open(io.BytesIO(out.data)).size == (980, 490)


@pytest.mark.parametrize("fmt", ["webp", "png"])
def test_output_formats(fmt):
    out = decode_image(encode(photo(), "PNG"), DecodeConfig(output_format=fmt, resize_max_side=None))
    assert Image.open(io.BytesIO(out.data)).format == fmt.upper() and out.info["format"] == fmt


def test_keep_original_bytes_when_nothing_changes():
    data = encode(photo(), "JPEG")
    out = decode_image(data, DecodeConfig(keep_original=True))
    assert out.data == data and out.info["format"] == "jpeg"


def test_phash_is_stable_under_resize():
    import imagehash
    from PIL import ImageDraw

    im = Image.new("RGB", (1600, 1200), (30, 60, 90))
    draw = ImageDraw.Draw(im)
    draw.ellipse((200, 200, 900, 900), fill=(240, 200, 40))
    draw.rectangle((1000, 100, 1500, 1100), fill=(200, 30, 30))
    a = decode_image(encode(im, "JPEG"), DecodeConfig()).info["phash"]
    b = decode_image(encode(im.resize((400, 300)), "PNG"), DecodeConfig()).info["phash"]
    assert imagehash.hex_to_hash(a) - imagehash.hex_to_hash(b) <= 4


def test_exif_orientation_applied():
    im = photo(300, 100)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    out = decode_image(encode(im, "JPEG", exif=exif), DecodeConfig())
    assert (out.info["width"], out.info["height"]) == (100, 300)


@pytest.mark.parametrize(
    "make",
    [
        lambda: encode(Image.new("CMYK", (50, 40), (0, 255, 255, 0)), "JPEG"),
        lambda: encode(Image.new("LA", (50, 40), (120, 0)), "PNG"),
        lambda: encode(Image.new("RGBA", (50, 40), (0, 0, 0, 0)), "PNG"),
        lambda: encode(Image.new("P", (50, 40), 3), "GIF", transparency=3),
        lambda: encode(Image.fromarray(np.full((40, 50), 65535, np.uint16)), "PNG"),
        lambda: encode(Image.new("1", (50, 40), 1), "BMP"),
    ],
)
def test_modes_normalised_to_rgb(make):
    out = decode_image(make(), DecodeConfig(output_format="png"))
    assert Image.open(io.BytesIO(out.data)).mode == "RGB"


def test_transparency_becomes_white_and_16bit_scales():
    png = DecodeConfig(output_format="png")
    clear = decode_image(encode(Image.new("RGBA", (8, 8), (0, 0, 0, 0)), "PNG"), png)
    assert Image.open(io.BytesIO(clear.data)).getpixel((0, 0)) == (255, 255, 255)
    deep = encode(Image.fromarray(np.full((8, 8), 32768, np.uint16)), "PNG")
    px = Image.open(io.BytesIO(decode_image(deep, png).data)).getpixel((0, 0))
    assert 120 <= px[0] <= 135  # half of the 16-bit range, not clipped to 255


def test_animated_keeps_first_frame():
    frames = [Image.new("RGB", (30, 30), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    out = decode_image(data, DecodeConfig(output_format="png"))
    assert out.info["original_frames"] == 3
    r, g, b = Image.open(io.BytesIO(out.data)).getpixel((5, 5))
    assert r > 200 and g < 50
    assert reason(data, DecodeConfig(max_frames=2)) == "too_many_frames"


def test_rejections():
    assert reason(b"") == "empty"
    assert reason(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>') == "svg"
    assert reason(b"<!doctype html><html><body>404</body></html>") == "not_an_image"
    assert reason(b"\x00\x01garbage" * 10) == "not_an_image"
    jpeg = encode(photo(), "JPEG")
    assert reason(jpeg[: len(jpeg) // 2]) == "truncated"
    assert reason(jpeg, DecodeConfig(max_bytes=100)) == "too_large"
    assert reason(encode(photo(), "PPM")) == "unsupported_format"


def test_decompression_bomb_rejected_before_loading():
    import resource

    # 100 megapixels in a ~15 KB PNG: refused from the header, before 300 MB of RGB is allocated.
    data = encode(Image.new("1", (10000, 10000)), "PNG")
    assert len(data) < 100_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert reason(data) == "decompression_bomb"
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 50
    assert reason(encode(photo(200, 200), "PNG"), DecodeConfig(max_pixels=10_000)) == "decompression_bomb"


def test_every_pillow_corpus_file_is_an_image_or_a_reason(shared_dir):
    root = shared_dir / "corpus" / "images" / "pillow"
    if not (root / "MANIFEST.tsv").exists():
        pytest.skip("pillow image corpus absent")
    rows = list(csv.DictReader((root / "MANIFEST.tsv").open(), delimiter="\t"))
    cfg = DecodeConfig()
    outcomes: dict[str, str] = {}
    for row in rows:
        data = (root / row["path"]).read_bytes()
        try:
            out = decode_image(data, cfg)
        except ImageRejected as exc:
            outcomes[row["path"]] = exc.reason
            continue
        outcomes[row["path"]] = "ok"
        assert Image.open(io.BytesIO(out.data)).mode == "RGB"
    assert len(outcomes) == len(rows)
    for row in rows:  # Pillow's own verdicts: bombs stay bombs, what Pillow cannot load is never kept as ok
        if row["pillow13_open_load"] == "bomb_error":
            assert outcomes[row["path"]] == "decompression_bomb", row["path"]
    assert sum(v == "ok" for v in outcomes.values()) >= 400
