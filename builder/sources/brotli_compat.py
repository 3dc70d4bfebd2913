"""Make warcio decode brotli HTTP bodies with today's `brotli` package.

warcio sets an ``unused_data`` attribute on ``brotli.Decompressor()``, which the C
extension (Brotli >= 1.1) refuses, so every ``Content-Encoding: br`` record raised.
We register a small adapter with the interface warcio's BufferedReader uses.
"""

from __future__ import annotations

from warcio.bufferedreaders import BufferedReader

try:
    import brotli
except ImportError:  # brotli is optional; such records then fail with a clear reason
    brotli = None


class _BrotliDecompressor:
    unused_data = None  # brotli streams carry no trailing member data

    def __init__(self) -> None:
        self._impl = brotli.Decompressor()

    def decompress(self, data: bytes) -> bytes:
        return self._impl.process(data)

    def flush(self) -> bytes:
        return b""


def install() -> None:
    if brotli is not None:
        BufferedReader.DECOMPRESSORS["br"] = _BrotliDecompressor


install()
