"""An in-memory index of the samples of an output folder: where each member lies in its shard.

Shards can be large, so the viewer never loads them: one pass reads each sample's JSON
member (small) and remembers the byte offset and size of every member, so a document or
one image is later read with a single seek. Kept samples come from ``OUT/*.tar`` (in
manifest order); rejected ones, when the run kept them, from ``OUT/rejects/*.tar``.
"""

from __future__ import annotations

import json
import math
import sys
from array import array
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

from builder.inspect.tar_scan import TarScanError, scan_members
from builder.shards.format import KEY_RE, split_member
from builder.shards.reader import shard_paths

KEPT = "kept"
REJECTS = "rejects"
REJECTS_DIR = "rejects"
NAN = float("nan")


@dataclass(slots=True, frozen=True)
class MemberRef:
    offset: int  # absolute byte offset of the member's data in its shard
    size: int


class ScoreTable:
    """The score names of one subset, each with a column: entries keep only an array of values.

    A dict per document (names, boxed floats) costs ~600 bytes for ten scores; an array of
    doubles with NaN for "absent" costs ~150, which matters for a million documents.
    """

    __slots__ = ("names", "column")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.column: dict[str, int] = {}

    def pack(self, scores: dict[str, float]) -> array:
        for name in scores:
            if name not in self.column:
                self.column[name] = len(self.names)
                self.names.append(sys.intern(name))
        values = array("d", [NAN]) * len(self.names)
        for name, value in scores.items():
            values[self.column[name]] = value
        return values


@dataclass(slots=True)
class SampleEntry:
    """One sample of a shard: its members' locations plus the fields the viewer filters on."""

    subset: str  # KEPT or REJECTS
    pos: int  # position in its subset's list
    shard: int  # index into CorpusIndex.shards
    key: str
    suffixes: tuple[str, ...]  # member suffixes in archive order; one shared tuple per layout
    spans: array  # offset, size of each member, flat
    score_table: ScoreTable
    score_values: array = field(default_factory=lambda: array("d"))
    url: str = ""
    domain: str = ""
    lang: str = ""
    words: int = 0
    n_texts: int = 0
    n_images: int = 0
    n_images_stored: int = 0
    drop_reason: str = ""
    # What the filters and fetches removed from the document (the sample's "removed" records):
    # each distinct reason once, and how many paragraphs and images went.
    removed_reasons: tuple[str, ...] = ()
    n_removed_texts: int = 0
    n_removed_images: int = 0

    def member(self, suffix: str) -> MemberRef | None:
        try:
            i = self.suffixes.index(suffix)
        except ValueError:
            return None
        return MemberRef(self.spans[2 * i], self.spans[2 * i + 1])

    def score(self, name: str) -> float | None:
        col = self.score_table.column.get(name)
        if col is None or col >= len(self.score_values):
            return None
        value = self.score_values[col]
        return None if math.isnan(value) else value

    @property
    def scores(self) -> dict[str, float]:
        names = self.score_table.names
        return {names[i]: v for i, v in enumerate(self.score_values) if not math.isnan(v)}


@dataclass
class SubsetIndex:
    """The samples of one subset (kept or rejects), in shard order, and its stored images' sizes."""

    name: str
    samples: list[SampleEntry] = field(default_factory=list)
    by_key: dict[str, SampleEntry] = field(default_factory=dict)
    scores: ScoreTable = field(default_factory=ScoreTable)
    image_width: array = field(default_factory=lambda: array("l"))
    image_height: array = field(default_factory=lambda: array("l"))
    image_bytes: array = field(default_factory=lambda: array("q"))
    image_format: list[str] = field(default_factory=list)  # interned: one string per format
    removed: Counter[str] = field(default_factory=Counter)  # removal reason -> documents that lost something to it


def domain_of(url: str) -> str:
    """Host name of `url`, lower-cased, without a leading ``www.``; "local file" for a file:// page."""
    if url.startswith("file:"):
        return "local file"
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
        self._layouts: dict[tuple[str, ...], tuple[str, ...]] = {}

    @classmethod
    def build(cls, out_dir: str | Path) -> CorpusIndex:
        out = Path(out_dir).resolve()
        if not out.is_dir():
            raise FileNotFoundError(f"output folder not found: {out}")
        index = cls(out)
        for path in index._existing(shard_paths(out)):
            index._index_shard(path, KEPT)
        rejects = out / REJECTS_DIR
        if rejects.is_dir():
            for path in index._existing(shard_paths(rejects)):
                index._index_shard(path, REJECTS)
        return index

    def _existing(self, paths: list[Path]) -> Iterator[Path]:
        for path in paths:
            if path.is_file():
                yield path
            else:
                self.errors.append(f"{path.name}: listed in the manifest but missing")

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
        ref = entry.member(suffix)
        if ref is None:
            return None
        with open(self.shards[entry.shard], "rb") as fh:
            fh.seek(ref.offset)
            return fh.read(ref.size)

    def read_json(self, entry: SampleEntry) -> dict[str, Any]:
        data = self.read_member(entry, "json")
        return json.loads(data) if data else {}

    def iter_json(self, subset: str) -> Iterator[tuple[SampleEntry, dict[str, Any]]]:
        """Every sample of a subset with its JSON, each shard opened once (a whole-corpus pass)."""
        for shard, entries in groupby(self.subsets[subset].samples, key=lambda e: e.shard):
            with open(self.shards[shard], "rb") as fh:
                for entry in entries:
                    ref = entry.member("json")
                    if ref is None:
                        continue
                    fh.seek(ref.offset)
                    try:
                        data = json.loads(fh.read(ref.size))
                    except (ValueError, UnicodeDecodeError):
                        continue  # indexing already reported it
                    yield entry, data if isinstance(data, dict) else {}

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
                    members: Layout) -> None:
        where = f"{Path(self.shards[shard_id]).name}:{key}"
        target = self.subsets[subset]
        if key in target.by_key:
            self.errors.append(f"{where}: duplicate key, second copy ignored")
            return
        suffixes = self._layouts.setdefault(members[0], members[0])  # most samples share a layout
        entry = SampleEntry(subset=subset, pos=len(target.samples), shard=shard_id, key=key,
                            suffixes=suffixes, spans=members[1], score_table=target.scores)
        ref = entry.member("json")
        if ref is None:
            self.errors.append(f"{where}: sample has no json member")
            return
        fh.seek(ref.offset)
        try:
            data = json.loads(fh.read(ref.size))
        except (ValueError, UnicodeDecodeError) as exc:
            self.errors.append(f"{where}: bad json ({exc})")
            return
        _fill_entry(entry, data, target)
        target.samples.append(entry)
        target.by_key[key] = entry


Layout = tuple[tuple[str, ...], array]  # member suffixes, and (offset, size) of each, flat


def _group_members(files: Iterator[tuple[str, int, int]]) -> Iterator[tuple[str, Layout]]:
    """(key, (suffixes, [offset, size, ...])) for each run of consecutive members sharing a key."""
    key: str | None = None
    suffixes: list[str] = []
    spans = array("q")
    for name, offset, size in files:
        member_key, suffix = split_member(name)
        if member_key != key:
            if key is not None:
                yield key, (tuple(suffixes), spans)
            key, suffixes, spans = member_key, [], array("q")
        suffixes.append(sys.intern(suffix))
        spans.append(offset)
        spans.append(size)
    if key is not None:
        yield key, (tuple(suffixes), spans)


def _interned(value: Any) -> str:
    return sys.intern(str(value or ""))


def _fill_entry(entry: SampleEntry, data: dict[str, Any], target: SubsetIndex) -> None:
    metadata = data.get("metadata") or {}
    entry.url = str(data.get("url") or "")
    entry.domain = _interned(domain_of(entry.url))
    entry.lang = _interned(metadata.get("lang") or metadata.get("language"))
    entry.drop_reason = _interned(metadata.get("drop_reason"))
    texts = data.get("texts") or []
    refs = data.get("images") or []
    entry.words = count_words(texts)
    entry.n_texts = sum(1 for t in texts if t is not None)
    entry.n_images = sum(1 for r in refs if r is not None)
    scores = {str(k): v for k, v in ((k, _number(v)) for k, v in (data.get("scores") or {}).items())
              if v is not None}
    entry.score_values = target.scores.pack(scores)
    _fill_removed(entry, data.get("removed"), target)
    infos = data.get("image_info") or [None] * len(refs)
    for ref, info in zip(refs, infos, strict=False):
        member = entry.member(ref) if isinstance(ref, str) else None
        if member is None:
            continue
        entry.n_images_stored += 1
        info = info if isinstance(info, dict) else {}
        target.image_width.append(int(_number(info.get("width")) or 0))
        target.image_height.append(int(_number(info.get("height")) or 0))
        target.image_bytes.append(member.size)
        target.image_format.append(_interned(str(info.get("format") or ref.rsplit(".", 1)[-1]).lower()))


def removal_records(value: Any) -> list[dict[str, Any]]:
    """The well-formed records of a sample's ``removed`` list (a malformed one is skipped, not fatal)."""
    if not isinstance(value, list):
        return []
    return [r for r in value if isinstance(r, dict) and isinstance(r.get("reason"), str)]


def _fill_removed(entry: SampleEntry, value: Any, target: SubsetIndex) -> None:
    records = removal_records(value)
    if not records:
        return
    reasons = sorted({sys.intern(r["reason"]) for r in records})
    entry.removed_reasons = tuple(reasons)
    entry.n_removed_images = sum(1 for r in records if r.get("kind") == "image")
    entry.n_removed_texts = len(records) - entry.n_removed_images
    target.removed.update(reasons)
