"""List the regular-file members of an uncompressed tar: (name, data offset, size), headers only.

`tarfile` builds a full `TarInfo` per member (every field decoded, the member list kept),
which is most of the time spent indexing a large shard whose page cache is warm. An index
needs three fields, so this reads each 512-byte header, checks its checksum, and seeks over
the data. It understands what `tarfile` writes: ustar, GNU long names (``L``) and pax
``path`` records; anything else that is not a regular file is skipped. A header that is not
a tar header raises `TarScanError`, so a truncated or damaged shard is reported, not guessed.
"""

from __future__ import annotations

import os
from typing import BinaryIO, Iterator

from builder.errors import LoomError

BLOCK = 512
REGULAR_TYPES = (b"0", b"\0", b"7")  # file, old-style file, contiguous file
GNU_LONGNAME = b"L"
PAX_TYPES = (b"x", b"X")


class TarScanError(LoomError, ValueError):
    """The bytes at a header position are not a valid tar header (damaged or truncated shard)."""


def _number(field: bytes) -> int:
    """A numeric header field: octal text, or GNU base-256 when the high bit is set."""
    if field and field[0] & 0x80:
        value = int.from_bytes(field[1:], "big")
        return value - (1 << (8 * len(field) - 8)) if field[0] & 0x40 else value
    text = field.split(b"\0", 1)[0].strip()
    return int(text, 8) if text else 0


def _checksum_ok(header: bytes) -> bool:
    try:
        stored = _number(header[148:156])
    except ValueError:
        return False
    # the checksum field itself counts as eight spaces (0x20 * 8 = 256)
    return stored == sum(header[:148]) + 256 + sum(header[156:])


def _name(header: bytes) -> str:
    name = header[0:100].split(b"\0", 1)[0]
    if header[257:262] == b"ustar":
        prefix = header[345:500].split(b"\0", 1)[0]
        if prefix and header[257:263] == b"ustar\0":  # POSIX ustar; GNU uses this space otherwise
            name = prefix + b"/" + name
    return name.decode("utf-8", "surrogateescape")


def _pax_path(data: bytes) -> str | None:
    """The ``path`` record of a pax extended header, if any (records: ``"%d %s=%s\\n"``)."""
    pos = 0
    path = None
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        length = int(data[pos:space])
        record = data[space + 1:pos + length - 1]
        key, _, value = record.partition(b"=")
        if key == b"path":
            path = value.decode("utf-8", "surrogateescape")
        pos += length
    return path


def scan_members(fh: BinaryIO, start: int = 0) -> Iterator[tuple[str, int, int]]:
    """(name, offset of the data, size) of each regular file, in archive order."""
    end = os.fstat(fh.fileno()).st_size
    pos = start
    long_name: str | None = None
    while True:
        fh.seek(pos)
        header = fh.read(BLOCK)
        if len(header) < BLOCK:
            if header.strip(b"\0"):
                raise TarScanError(f"truncated header at byte {pos}")
            return  # a tar may end without its two zero blocks
        if header == b"\0" * BLOCK:
            return
        if not _checksum_ok(header):
            raise TarScanError(f"bad header checksum at byte {pos}")
        size = _number(header[124:136])
        kind = header[156:157]
        data_at = pos + BLOCK
        if data_at + size > end:
            raise TarScanError(f"member at byte {pos} runs past the end of the file (truncated)")
        pos = data_at + -(-size // BLOCK) * BLOCK
        if kind == GNU_LONGNAME or kind in PAX_TYPES:
            fh.seek(data_at)
            data = fh.read(size)
            if len(data) < size:
                raise TarScanError(f"truncated extended header at byte {data_at}")
            name = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape") if kind == GNU_LONGNAME \
                else _pax_path(data)
            long_name = name or long_name
            continue
        name = long_name if long_name is not None else _name(header)
        long_name = None
        if kind in REGULAR_TYPES:
            yield name, data_at, size
