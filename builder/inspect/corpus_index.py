"""An in-memory index of the samples of an output folder: where each member lies in its shard.

Shards can be large, so the viewer never loads them: one pass reads each sample's JSON
member (small) and remembers the byte offset and size of every member, so a document or
one image is later read with a single seek. Kept samples come from ``OUT/*.tar`` (in
manifest order); rejected ones, when the run kept them, from ``OUT/rejects/*.tar``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

from builder.inspect.tar_scan import TarScanError, scan_members
from builder.shards.format import KEY_RE, split_member
from builder.shards.reader import shard_paths

KEPT = "kept"
REJECTS = "rejects"
REJECTS_DIR = "rejects"


@dataclass(slots=True)
class MemberRef:
    offset: int  # absolute byte offset of the member's data in its shard
    size: int


@dataclass(slots=True)
class ImageStat:
    """What the dashboard needs of one stored image."""

    width: int
    height: int
    nbytes: int
    format: str


@dataclass(slots=True)
class SampleEntry:
    """One sample of a shard: its members' locations plus the fields the viewer filters on."""

    subset: str  # KEPT or REJECTS
    pos: int  # position in its subset's list
    shard: int  # index into CorpusIndex.shards
    key: str
    members: dict[str, MemberRef]
    url: str = ""
    domain: str = ""
    title: str = ""
    lang: str = ""
    words: int = 0
    n_texts: int = 0
    n_images: int = 0
    n_images_stored: int = 0
    scores: dict[str, float] = field(default_factory=dict)
    drop_reason: str = ""


@dataclass
class SubsetIndex:
    """The samples of one subset (kept or rejects), in shard order."""

    name: str
    samples: list[SampleEntry] = field(default_factory=list)
    by_key: dict[str, SampleEntry] = field(default_factory=dict)
    images: list[ImageStat] = field(default_factory=list)


def domain_of(url: str) -> str:
    """Host name of `url`, lower-cased, without a leading ``www.``."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def count_words(texts: list[str | None]) -> int:
    return sum(len(t.split()) for t in texts if t)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


class CorpusIndex:
    """Index of an output folder's kept and rejected samples. Build with `CorpusIndex.build`."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.shards: list[Path] = []
        self.subsets: dict[str, SubsetIndex] = {KEPT: SubsetIndex(KEPT), REJECTS: SubsetIndex(REJECTS)}
        # Problems met while indexing (unreadable shard, bad JSON): shown, never fatal.
        self.errors: list[str] = []

    @classmethod
    def build(cls, out_dir: str | Path) -> CorpusIndex:
        out = Path(out_dir).resolve()
        if not out.is_dir():
            raise FileNotFoundError(f"output folder not found: {out}")
        index = cls(out)
        for path in _existing(shard_paths(out)):
            index._index_shard(path, KEPT)
        rejects = out / REJECTS_DIR
        if rejects.is_dir():
            for path in _existing(shard_paths(rejects)):
                index._index_shard(path, REJECTS)
        return index

    def subset(self, name: str) -> SubsetIndex:
        return self.subsets[name]

    @property
    def kept(self) -> SubsetIndex:
        return self.subsets[KEPT]

    @property
    def rejects(self) -> SubsetIndex:
        return self.subsets[REJECTS]

    def get(self, subset: str, key: str) -> SampleEntry | None:
        if subset not in self.subsets or not KEY_RE.match(key):
            return None
        return self.subsets[subset].by_key.get(key)

    def read_member(self, entry: SampleEntry, suffix: str) -> bytes | None:
        """The bytes of member `suffix` of a sample, or None if the sample has no such member."""
        ref = entry.members.get(suffix)
        if ref is None:
            return None
        with open(self.shards[entry.shard], "rb") as fh:
            fh.seek(ref.offset)
            return fh.read(ref.size)

    def read_json(self, entry: SampleEntry) -> dict[str, Any]:
        data = self.read_member(entry, "json")
        return json.loads(data) if data else {}

    def shard_name(self, entry: SampleEntry) -> str:
        path = self.shards[entry.shard]
        try:
            return str(path.relative_to(self.out_dir))
        except ValueError:
            return path.name

    # -- indexing ---------------------------------------------------------------------------

    def _index_shard(self, path: Path, subset: str) -> None:
        shard_id = len(self.shards)
        self.shards.append(path)
        try:
            # unbuffered: each header is one 512-byte read; a buffer would pull 8 KiB of image data
            with open(path, "rb", buffering=0) as fh:
                for key, members in _group_members(scan_members(fh)):
                    self._add_sample(fh, subset, shard_id, key, members)
        except (OSError, TarScanError) as exc:
            self.errors.append(f"{path.name}: unreadable shard ({exc}); samples after the error skipped")

    def _add_sample(self, fh: Any, subset: str, shard_id: int, key: str,
                    members: dict[str, MemberRef]) -> None:
        where = f"{Path(self.shards[shard_id]).name}:{key}"
        target = self.subsets[subset]
        if key in target.by_key:
            self.errors.append(f"{where}: duplicate key, second copy ignored")
            return
        ref = members.get("json")
        if ref is None:
            self.errors.append(f"{where}: sample has no json member")
            return
        fh.seek(ref.offset)
        try:
            data = json.loads(fh.read(ref.size))
        except (ValueError, UnicodeDecodeError) as exc:
            self.errors.append(f"{where}: bad json ({exc})")
            return
        entry = SampleEntry(subset=subset, pos=len(target.samples), shard=shard_id, key=key, members=members)
        _fill_entry(entry, data, target.images)
        target.samples.append(entry)
        target.by_key[key] = entry


def _existing(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_file():
            yield path


def _group_members(files: Iterator[tuple[str, int, int]]) -> Iterator[tuple[str, dict[str, MemberRef]]]:
    """(key, {suffix: MemberRef}) for each run of consecutive members sharing a key."""
    key: str | None = None
    members: dict[str, MemberRef] = {}
    for name, offset, size in files:
        member_key, suffix = split_member(name)
        if member_key != key:
            if key is not None:
                yield key, members
            key, members = member_key, {}
        members[suffix] = MemberRef(offset, size)
    if key is not None:
        yield key, members


def _fill_entry(entry: SampleEntry, data: dict[str, Any], images: list[ImageStat]) -> None:
    metadata = data.get("metadata") or {}
    entry.url = str(data.get("url") or "")
    entry.domain = domain_of(entry.url)
    entry.title = str(metadata.get("title") or "")
    entry.lang = str(metadata.get("lang") or metadata.get("language") or "")
    entry.drop_reason = str(metadata.get("drop_reason") or "")
    texts = data.get("texts") or []
    refs = data.get("images") or []
    entry.words = count_words(texts)
    entry.n_texts = sum(1 for t in texts if t is not None)
    entry.n_images = sum(1 for r in refs if r is not None)
    entry.scores = {k: v for k, v in ((k, _number(v)) for k, v in (data.get("scores") or {}).items())
                    if v is not None}
    infos = data.get("image_info") or [None] * len(refs)
    for ref, info in zip(refs, infos, strict=False):
        if ref is None or ref not in entry.members:
            continue
        entry.n_images_stored += 1
        info = info or {}
        images.append(ImageStat(
            width=int(_number(info.get("width")) or 0),
            height=int(_number(info.get("height")) or 0),
            nbytes=entry.members[ref].size,
            format=str(info.get("format") or ref.rsplit(".", 1)[-1]).lower(),
        ))
