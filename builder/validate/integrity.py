"""Integrity of an output folder: manifest against files, every sample against the format spec,
every image member decoded, keys unique across shards.

One streaming pass over all shards. Along the way it keeps a seeded reservoir sample of the
valid documents (with their image bytes) for the model checks that follow.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import tarfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.document import Document
from builder.shards.format import (
    FORMAT_MINOR_VERSION,
    FORMAT_NAME,
    FORMAT_VERSION,
    KEY_RE,
    MANIFEST_NAME,
    STATS_NAME,
    split_member,
)
from builder.stats import Stats
from builder.validate.report import CheckResult, Problems
from builder.validate.schema import image_refs, sample_problems

# Pillow format names an image member's extension may hold.
EXT_FORMATS = {"jpg": {"JPEG", "MPO"}, "png": {"PNG"}, "webp": {"WEBP"}, "gif": {"GIF"}}


@dataclass
class ShardCount:
    samples: int = 0
    bytes: int = 0
    sha256: str = ""


@dataclass
class IntegrityResult:
    checks: list[CheckResult]
    documents: list[Document]  # reservoir sample of valid documents, in shard order
    total_samples: int = 0
    total_images: int = 0
    shard_counts: dict[str, ShardCount] = field(default_factory=dict)
    url_only_images: int = 0  # image nodes without a member (images.enabled: false)


class _HashingReader:
    """A read-only file wrapper that feeds every byte read into a sha256."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


class IntegrityChecker:
    def __init__(self, out_dir: Path, sample_size: int = 16, seed: int = 0) -> None:
        self.out_dir = Path(out_dir)
        self.sample_size = sample_size
        self.rng = random.Random(seed)
        self.manifest = Problems()
        self.samples = Problems()
        self.images = Problems()
        self.keys = Problems()
        self.seen_keys: dict[str, str] = {}  # key -> shard it was first seen in
        self.reservoir: list[tuple[int, Document]] = []
        self.n_valid = 0
        self.n_samples = 0
        self.n_images = 0
        self.n_url_images = 0  # URL-only image nodes (format 1.2): no member, nothing to decode

    def run(self) -> IntegrityResult:
        manifest = self._read_manifest()
        listed = [s for s in manifest.get("shards", []) if isinstance(s, dict)] if manifest else []
        names = [str(s.get("name")) for s in listed] if manifest else sorted(
            p.name for p in self.out_dir.glob("*.tar"))
        counts: dict[str, ShardCount] = {}
        for name in names:
            path = self.out_dir / name
            if not path.is_file():
                self.manifest.add(f"{name}: listed in the manifest but missing")
                continue
            counts[name] = self._scan_shard(path)
        if manifest:
            self._compare_manifest(manifest, listed, counts)
        stats = self._check_stats(sum(c.samples for c in counts.values()))
        documents = [doc for _, doc in sorted(self.reservoir, key=lambda t: t[0])]
        checks = [
            self.manifest.result("integrity.manifest", f"{len(counts)} shard(s) match the manifest",
                                 shards=len(counts)),
            self.samples.result("integrity.samples",
                                f"{self.n_samples} sample(s) match format v{FORMAT_VERSION}.{FORMAT_MINOR_VERSION}",
                                samples=self.n_samples),
            self.images.result("integrity.images", self._images_summary(),
                               images=self.n_images, url_only_images=self.n_url_images),
            self.keys.result("integrity.keys", f"{len(self.seen_keys)} unique key(s)"),
            stats,
        ]
        return IntegrityResult(checks, documents, self.n_samples, self.n_images, counts, self.n_url_images)

    def _images_summary(self) -> str:
        if self.n_images or not self.n_url_images:
            return f"{self.n_images} image member(s) decode"
        return (f"the shards have no image members: their {self.n_url_images} images are URL-only "
                "(written with images.enabled: false)")

    def _check_stats(self, samples: int) -> CheckResult:
        """The run's own books against the shards: nothing lost without a counted reason."""
        problems = Problems()
        path = self.out_dir / STATS_NAME
        if not path.is_file():
            return CheckResult("integrity.stats", True, f"no {STATS_NAME} (shards not written by `loom run`)")
        try:
            stats = Stats.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            problems.add(f"{STATS_NAME} is not readable: {exc}")
            return problems.result("integrity.stats", "")
        for imbalance in stats.imbalances():
            problems.add(f"{STATS_NAME}: {imbalance}")
        if stats.counts["doc.out"] != samples:
            problems.add(f"{STATS_NAME} counts doc.out={stats.counts['doc.out']}, the shards hold {samples}")
        if stats.counts["image.out"] != self.n_images + self.n_url_images:
            problems.add(f"{STATS_NAME} counts image.out={stats.counts['image.out']}, "
                         f"the shards hold {self.n_images} image member(s) and {self.n_url_images} URL-only")
        return problems.result("integrity.stats", f"{STATS_NAME} balances and matches the shards")

    def _read_manifest(self) -> dict[str, Any] | None:
        path = self.out_dir / MANIFEST_NAME
        if not path.is_file():
            self.manifest.add(f"{MANIFEST_NAME} is missing")
            return None
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            self.manifest.add(f"{MANIFEST_NAME} is not valid JSON: {exc}")
            return None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("shards"), list):
            self.manifest.add(f"{MANIFEST_NAME} has no list of shards")
            return None
        if manifest.get("format") != FORMAT_NAME:
            self.manifest.add(f"format is {manifest.get('format')!r}, expected {FORMAT_NAME!r}")
        if manifest.get("format_version") != FORMAT_VERSION:
            self.manifest.add(f"format_version is {manifest.get('format_version')!r}, "
                              f"this loom reads {FORMAT_VERSION}")
        return manifest

    def _compare_manifest(self, manifest: dict[str, Any], listed: list[dict[str, Any]],
                          counts: dict[str, ShardCount]) -> None:
        for entry in listed:
            name = entry.get("name")
            found = counts.get(str(name))
            if found is None:
                continue
            for field_name in ("samples", "bytes", "sha256"):
                if entry.get(field_name) != getattr(found, field_name):
                    self.manifest.add(f"{name}: manifest says {field_name}={entry.get(field_name)!r}, "
                                      f"the file has {getattr(found, field_name)!r}")
        if manifest.get("samples") != sum(c.samples for c in counts.values()):
            self.manifest.add(f"manifest total samples={manifest.get('samples')!r}, "
                              f"the shards hold {sum(c.samples for c in counts.values())}")
        if manifest.get("bytes") != sum(int(s.get("bytes") or 0) for s in listed):
            self.manifest.add("manifest total bytes is not the sum of its shards")
        listed_names = {str(s.get("name")) for s in listed}
        for path in sorted(self.out_dir.glob("*.tar")):
            if path.name not in listed_names:
                self.manifest.add(f"{path.name}: a shard in the folder that the manifest does not list")

    def _scan_shard(self, path: Path) -> ShardCount:
        count = ShardCount(bytes=path.stat().st_size)
        with open(path, "rb") as raw:
            hashing = _HashingReader(raw)
            self._scan_members(path, hashing, count)
            hashing.drain()  # the tar end blocks, and anything after them, count in the checksum
        count.sha256 = hashing.digest.hexdigest()
        return count

    def _scan_members(self, path: Path, fileobj: _HashingReader, count: ShardCount) -> None:
        try:
            # Stream mode: one sequential read serves both the checksum and the members.
            with tarfile.open(fileobj=fileobj, mode="r|") as tar:
                finished: set[str] = set()
                current: dict[str, bytes] = {}
                current_key = None
                for member in tar:
                    if not member.isfile():
                        self.samples.add(f"{path.name}: {member.name!r} is not a regular file")
                        continue
                    key, suffix = split_member(member.name)
                    if key != current_key:
                        if current_key is not None:
                            self._check_sample(path.name, current_key, current)
                            count.samples += 1
                            finished.add(current_key)
                        if key in finished:
                            self.samples.add(f"{path.name}: members of sample {key!r} are not contiguous")
                        current_key, current = key, {}
                    fh = tar.extractfile(member)
                    current[suffix] = fh.read() if fh else b""
                if current_key is not None:
                    self._check_sample(path.name, current_key, current)
                    count.samples += 1
        except (tarfile.TarError, OSError, EOFError) as exc:
            self.samples.add(f"{path.name}: unreadable tar ({exc})")

    def _check_sample(self, shard: str, key: str, members: dict[str, bytes]) -> None:
        self.n_samples += 1
        if key in self.seen_keys:
            self.keys.add(f"{key}: in {self.seen_keys[key]} and again in {shard}")
        else:
            self.seen_keys[key] = shard
        where = f"{shard}:{key}"
        problems: list[str] = []
        if not KEY_RE.match(key):
            problems.append(f"{where}: key does not match {KEY_RE.pattern}")
        raw = members.get("json")
        if raw is None:
            self.samples.add(f"{where}: no {key}.json member")
            return
        try:
            data = json.loads(raw)
        except ValueError as exc:
            self.samples.add(f"{where}: {key}.json is not valid JSON ({exc})")
            return
        problems.extend(f"{shard}:{p}" for p in sample_problems(data, key))
        refs = image_refs(data) if isinstance(data, dict) else []
        if isinstance(data, dict) and isinstance(data.get("images"), list):
            self.n_url_images += sum(1 for ref in data["images"] if isinstance(ref, str)) - len(refs)
        for ref in refs:
            if ref not in members:
                problems.append(f"{where}: image member {key}.{ref} is missing")
        for suffix in sorted(set(members) - {"json"} - set(refs)):
            problems.append(f"{where}: member {key}.{suffix} is not referenced by the JSON")
        images_ok = True
        infos = _member_infos(data)
        for ref in refs:
            if ref in members:
                images_ok &= self._check_image(where, ref, members[ref], infos.get(ref) or {})
        for p in problems:
            self.samples.add(p)
        if not problems and images_ok:
            self._keep(data, members)

    def _check_image(self, where: str, ref: str, payload: bytes, info: dict[str, Any]) -> bool:
        from PIL import Image, ImageFile

        self.n_images += 1
        ext = ref.rpartition(".")[2]
        # A truncated image must fail here even if some other stage let Pillow load them.
        lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(payload)) as im:
                    fmt, size = im.format, im.size
                    im.load()
        except Exception as exc:  # Pillow raises many types for bad data; all mean "does not decode"
            self.images.add(f"{where}: image {ref} does not decode ({type(exc).__name__}: {exc})")
            return False
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = lenient
        if fmt not in EXT_FORMATS.get(ext, set()):
            self.images.add(f"{where}: image {ref} holds {fmt} data")
            return False
        width, height = info.get("width"), info.get("height")
        if width is not None and height is not None and (width, height) != size:
            self.images.add(f"{where}: image {ref} is {size[0]}x{size[1]}, image_info says {width}x{height}")
            return False
        return True

    def _keep(self, data: dict[str, Any], members: dict[str, bytes]) -> None:
        """Reservoir sampling (Algorithm R): each valid document is kept with equal probability."""
        index = self.n_valid
        self.n_valid += 1
        if len(self.reservoir) < self.sample_size:
            slot = len(self.reservoir)
        else:
            slot = self.rng.randrange(self.n_valid)
            if slot >= self.sample_size:
                return
        doc = Document.from_dict(data)
        refs = [ref for ref in data["images"] if ref is not None]
        for node, ref in zip(doc.images, refs, strict=True):
            node.data = members.get(ref)  # None for a URL-only image
        if slot == len(self.reservoir):
            self.reservoir.append((index, doc))
        else:
            self.reservoir[slot] = (index, doc)


def _member_infos(data: Any) -> dict[str, dict[str, Any]]:
    """``image_info`` of each image member, by its suffix (``"0.jpg"``)."""
    if not isinstance(data, dict):
        return {}
    pairs = zip(data.get("images") or [], data.get("image_info") or [])
    return {ref: info for ref, info in pairs if isinstance(ref, str) and isinstance(info, dict)}
