"""Still WebP images decoded by libwebp's own decoder, scaled while decoding.

Pillow decodes every WebP through libwebp's animation API: a full-size RGBA canvas, then
a copy to RGB. For a still image libwebp's plain `WebPDecode` writes RGB straight into
our buffer and, given a smaller output size, scales inside the decoder (area averaging
on the YUV rows), so no full-size bitmap is ever made. The whole bitstream is still
decoded, so a truncated or corrupt file still fails. On the benchmark's WebPs this is
~25 % less CPU than Pillow at full size and ~30 % less when scaled.

The library is the one Pillow ships (or the system's), called through ctypes, which
releases the GIL during the call. `WebPInitDecoderConfigInternal` refuses a library
whose decoder ABI differs from the structures below, and then (or when no libwebp is
found) `decode_still` returns None and the caller uses Pillow.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import threading
from ctypes import c_int, c_size_t, c_uint32, c_void_p

from PIL import Image

from builder.images.errors import ImageRejected

_DECODER_ABI = 0x0209  # WEBP_DECODER_ABI_VERSION of the structures below (libwebp >= 1.0)
_MODE_RGB = 0  # WEBP_CSP_MODE MODE_RGB
_NOT_ENOUGH_DATA = 7  # VP8_STATUS_NOT_ENOUGH_DATA: the stream ends early


class _Features(ctypes.Structure):
    _fields_ = [
        ("width", c_int), ("height", c_int), ("has_alpha", c_int), ("has_animation", c_int),
        ("format", c_int), ("pad", c_uint32 * 5),
    ]


class _RGBABuffer(ctypes.Structure):
    _fields_ = [("rgba", c_void_p), ("stride", c_int), ("size", c_size_t)]


class _YUVABuffer(ctypes.Structure):
    _fields_ = [
        ("y", c_void_p), ("u", c_void_p), ("v", c_void_p), ("a", c_void_p),
        ("y_stride", c_int), ("u_stride", c_int), ("v_stride", c_int), ("a_stride", c_int),
        ("y_size", c_size_t), ("u_size", c_size_t), ("v_size", c_size_t), ("a_size", c_size_t),
    ]


class _BufferUnion(ctypes.Union):
    _fields_ = [("RGBA", _RGBABuffer), ("YUVA", _YUVABuffer)]


class _DecBuffer(ctypes.Structure):
    _fields_ = [
        ("colorspace", c_int), ("width", c_int), ("height", c_int), ("is_external_memory", c_int),
        ("u", _BufferUnion), ("pad", c_uint32 * 4), ("private_memory", c_void_p),
    ]


class _Options(ctypes.Structure):
    _fields_ = [
        (name, c_int)
        for name in (
            "bypass_filtering", "no_fancy_upsampling", "use_cropping", "crop_left", "crop_top",
            "crop_width", "crop_height", "use_scaling", "scaled_width", "scaled_height", "use_threads",
            "dithering_strength", "flip", "alpha_dithering_strength",
        )
    ] + [("pad", c_uint32 * 5)]


class _Config(ctypes.Structure):
    _fields_ = [("input", _Features), ("output", _DecBuffer), ("options", _Options)]


def _candidates() -> list[str]:
    """Pillow's bundled libwebp first (the one Pillow itself uses), then the system's."""
    import PIL

    site = os.path.dirname(os.path.dirname(PIL.__file__))
    found = sorted(glob.glob(os.path.join(site, "pillow.libs", "libwebp-*.so*")))  # not libwebpdemux/-mux
    system = ctypes.util.find_library("webp")
    return found + ([system] if system else [])


_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_loaded = False


def _library() -> ctypes.CDLL | None:
    global _lib, _loaded
    if _loaded:
        return _lib
    with _lock:
        if not _loaded:
            for path in _candidates():
                try:
                    lib = ctypes.CDLL(path)
                    lib.WebPInitDecoderConfigInternal.argtypes = [ctypes.POINTER(_Config), c_int]
                    lib.WebPGetFeaturesInternal.argtypes = [c_void_p, c_size_t, ctypes.POINTER(_Features), c_int]
                    lib.WebPDecode.argtypes = [c_void_p, c_size_t, ctypes.POINTER(_Config)]
                    probe = _Config()
                    if lib.WebPInitDecoderConfigInternal(ctypes.byref(probe), _DECODER_ABI):
                        _lib = lib
                        break
                except (OSError, AttributeError):  # not loadable, or not a libwebp we know
                    continue
            _loaded = True
    return _lib


def available() -> bool:
    return _library() is not None


def simple_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a simple-format WebP (one VP8/VP8L image, no alpha), else None.

    The simple format has no room for EXIF, ICC, animation or alpha chunks (those need
    the extended `VP8X` layout), so such a file needs nothing of Pillow: no orientation,
    no colour profile, one frame. Anything else is left to Pillow.
    """
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP" or data[12:16] not in (b"VP8 ", b"VP8L"):
        return None
    lib = _library()
    if lib is None:
        return None
    features = _Features()
    if lib.WebPGetFeaturesInternal(data, len(data), ctypes.byref(features), _DECODER_ABI) != 0:
        return None  # Pillow says what is wrong with it
    if features.has_alpha or features.has_animation or features.width <= 0 or features.height <= 0:
        return None
    return features.width, features.height


def decode_still(data: bytes, size: tuple[int, int] | None = None) -> Image.Image | None:
    """The RGB pixels of a still, opaque WebP, scaled to `size` if given.

    None when this path does not apply (no usable libwebp, animation, alpha channel):
    the caller then decodes with Pillow. Raises `ImageRejected` for a broken stream.
    """
    lib = _library()
    if lib is None:
        return None
    config = _Config()
    if not lib.WebPInitDecoderConfigInternal(ctypes.byref(config), _DECODER_ABI):
        return None
    if not isinstance(data, bytes):
        data = bytes(data)
    source = ctypes.c_char_p(data)  # points into `data`: no copy
    if lib.WebPGetFeaturesInternal(source, len(data), ctypes.byref(config.input), _DECODER_ABI) != 0:
        return None  # let Pillow say what is wrong with it
    if config.input.has_animation or config.input.has_alpha:
        return None
    width, height = config.input.width, config.input.height
    if size is not None and size != (width, height):
        width, height = size
        config.options.use_scaling = 1
        config.options.scaled_width, config.options.scaled_height = width, height
    pixels = bytearray(width * height * 3)
    target = (ctypes.c_char * len(pixels)).from_buffer(pixels)
    config.output.colorspace = _MODE_RGB
    config.output.is_external_memory = 1
    config.output.u.RGBA.rgba = ctypes.addressof(target)
    config.output.u.RGBA.stride = width * 3
    config.output.u.RGBA.size = len(pixels)
    status = lib.WebPDecode(source, len(data), ctypes.byref(config))
    del target  # release the export of `pixels`
    if status == _NOT_ENOUGH_DATA:
        raise ImageRejected("truncated", "WebP stream ends early")
    if status != 0:
        raise ImageRejected("decode_error", f"libwebp status {status}")
    return Image.frombuffer("RGB", (width, height), pixels, "raw", "RGB", 0, 1)
