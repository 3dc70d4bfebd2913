"""The header-only tar scanner of the inspect index agrees with `tarfile`, and refuses damage."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from builder.inspect.tar_scan import TarScanError, scan_members

LONG = "k" * 60 + "/" + "deep/" * 12 + "name-é.0.jpg"  # > 100 bytes: needs GNU L, pax or a ustar prefix


def write_tar(path: Path, fmt: int, names: list[str]) -> None:
    with tarfile.open(path, "w", format=fmt) as tar:
        for i, name in enumerate(names):
            payload = bytes([i % 256]) * (i * 300 + 1)
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        directory = tarfile.TarInfo("adir")
        directory.type = tarfile.DIRTYPE
        tar.addfile(directory)
        link = tarfile.TarInfo("alink")
        link.type = tarfile.SYMTYPE
        link.linkname = "key.json"
        tar.addfile(link)


def reference(path: Path) -> list[tuple[str, int, int]]:
    with tarfile.open(path) as tar:
        return [(m.name, m.offset_data, m.size) for m in tar if m.isfile()]


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT])
def test_matches_tarfile(tmp_path: Path, fmt: int) -> None:
    names = ["key.json", "key.0.jpg", "other.json", "other.1.png"]
    if fmt != tarfile.USTAR_FORMAT:
        names.append(LONG)
    else:
        names.append("p" * 90 + "/" + "q" * 90 + ".json")  # fits ustar's prefix + name split
    path = tmp_path / "t.tar"
    write_tar(path, fmt, names)
    with open(path, "rb") as fh:
        scanned = list(scan_members(fh))
    assert scanned == reference(path)
    assert [n for n, _, _ in scanned] == names
    with open(path, "rb") as fh:
        for i, (_, offset, size) in enumerate(scanned):
            fh.seek(offset)
            assert fh.read(size) == bytes([i % 256]) * (i * 300 + 1)


def test_damaged_archives_raise(tmp_path: Path) -> None:
    path = tmp_path / "t.tar"
    write_tar(path, tarfile.GNU_FORMAT, ["a.json", "a.0.jpg", "b.json", "b.0.jpg"])
    data = path.read_bytes()
    members = reference(path)
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: members[3][1] + 10])  # inside the last member's data
    with open(cut, "rb") as fh, pytest.raises(TarScanError, match="truncated"):
        list(scan_members(fh))
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(data[:1024] + b"this is not a tar header" * 40)
    with open(garbage, "rb") as fh, pytest.raises(TarScanError):
        list(scan_members(fh))
    flipped = bytearray(data)
    flipped[5] ^= 0xFF  # a byte of the first name: checksum no longer matches
    (tmp_path / "flipped.tar").write_bytes(bytes(flipped))
    with open(tmp_path / "flipped.tar", "rb") as fh, pytest.raises(TarScanError, match="checksum"):
        list(scan_members(fh))
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")
    with open(empty, "rb") as fh:
        assert list(scan_members(fh)) == []
