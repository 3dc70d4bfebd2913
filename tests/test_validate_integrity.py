"""Integrity check: passes on good shards; fails, naming the problem, on shards broken on purpose."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Callable

import pytest

from builder.shards.format import MANIFEST_NAME
from builder.validate.integrity import IntegrityChecker
from builder.validate.synthetic import write_synthetic_shards

Members = list[tuple[str, bytes]]


def _read(path: Path) -> Members:
    with tarfile.open(path) as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar if m.isfile()]


def _write(path: Path, members: Members) -> None:
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _refresh_manifest(out: Path) -> None:
    """Make the manifest agree with the files again, so only the broken sample is wrong."""
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    for shard in manifest["shards"]:
        path = out / shard["name"]
        shard["bytes"] = path.stat().st_size
        shard["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        with tarfile.open(path) as tar:
            shard["samples"] = len({m.name.split(".")[0] for m in tar if m.isfile()})
    manifest["samples"] = sum(s["samples"] for s in manifest["shards"])
    manifest["bytes"] = sum(s["bytes"] for s in manifest["shards"])
    (out / MANIFEST_NAME).write_text(json.dumps(manifest))


def _break(out: Path, change: Callable[[Members], Members], refresh: bool = True) -> None:
    shard = sorted(out.glob("*.tar"))[0]
    _write(shard, change(_read(shard)))
    if refresh:
        _refresh_manifest(out)


def _failed(out: Path) -> dict[str, list[str]]:
    result = IntegrityChecker(out, sample_size=4).run()
    return {c.name: c.problems for c in result.checks if not c.ok}


@pytest.fixture()
def shards(tmp_path: Path) -> Path:
    return write_synthetic_shards(tmp_path / "out", n_docs=6, max_samples=3)


def test_good_shards_pass_and_are_sampled(shards: Path) -> None:
    result = IntegrityChecker(shards, sample_size=4).run()
    assert all(c.ok for c in result.checks), [c.problems for c in result.checks]
    assert result.total_samples == 6 and result.total_images == 12
    assert len(result.documents) == 4
    assert all(node.data for doc in result.documents for node in doc.images)


def test_missing_image_member(shards: Path) -> None:
    _break(shards, lambda members: [m for m in members if not m[0].endswith(".1.jpg")])
    failed = _failed(shards)
    assert list(failed) == ["integrity.samples"]
    assert any("1.jpg is missing" in p for p in failed["integrity.samples"])


def test_missing_json_member(shards: Path) -> None:
    members = _read(sorted(shards.glob("*.tar"))[0])
    victim = members[0][0].split(".")[0]
    _break(shards, lambda ms: [m for m in ms if m[0] != f"{victim}.json"])
    assert any(f"no {victim}.json member" in p for p in _failed(shards)["integrity.samples"])


def test_wrong_sample_count_in_manifest(shards: Path) -> None:
    manifest = json.loads((shards / MANIFEST_NAME).read_text())
    manifest["shards"][0]["samples"] += 1
    (shards / MANIFEST_NAME).write_text(json.dumps(manifest))
    problems = _failed(shards)["integrity.manifest"]
    assert any("samples=4" in p and "the file has 3" in p for p in problems)


def test_manifest_checksum_and_size_mismatch(shards: Path) -> None:
    # Same member list, different bytes: the manifest no longer describes the file.
    _break(shards, lambda ms: [(n, d + b" ") if n.endswith(".json") else (n, d) for n, d in ms][::1],
           refresh=False)
    problems = " ".join(_failed(shards)["integrity.manifest"])
    assert "sha256" in problems


def test_shard_missing_and_unlisted(shards: Path) -> None:
    first = sorted(shards.glob("*.tar"))[0]
    first.rename(shards / "stray.tar")
    problems = " ".join(_failed(shards)["integrity.manifest"])
    assert f"{first.name}: listed in the manifest but missing" in problems
    assert "stray.tar: a shard in the folder that the manifest does not list" in problems


def test_corrupt_image(shards: Path) -> None:
    def corrupt(members: Members) -> Members:
        return [(n, d[: len(d) // 3]) if n.endswith(".0.png") else (n, d) for n, d in members]

    _break(shards, corrupt)
    failed = _failed(shards)
    assert list(failed) == ["integrity.images"]
    assert any("0.png does not decode" in p for p in failed["integrity.images"])


def test_image_bytes_of_the_wrong_format(shards: Path) -> None:
    def swap(members: Members) -> Members:
        jpeg = next(d for n, d in members if n.endswith(".jpg"))
        return [(n, jpeg) if n.endswith(".0.png") else (n, d) for n, d in members]

    _break(shards, swap)
    assert any("holds JPEG data" in p for p in _failed(shards)["integrity.images"])


def test_json_breaking_the_format(shards: Path) -> None:
    def misalign(members: Members) -> Members:
        out = []
        for name, data in members:
            if name.endswith(".json"):
                doc = json.loads(data)
                doc["texts"] = doc["texts"][:-1]
                doc["extra"] = 1
                data = json.dumps(doc).encode()
            out.append((name, data))
        return out

    _break(shards, misalign)
    problems = " ".join(_failed(shards)["integrity.samples"])
    assert "unknown field(s) ['extra']" in problems


def test_texts_and_images_misaligned(shards: Path) -> None:
    def both(members: Members) -> Members:
        out = []
        for name, data in members:
            if name.endswith(".json"):
                doc = json.loads(data)
                doc["texts"][1] = "a text where the image is"
                data = json.dumps(doc).encode()
            out.append((name, data))
        return out

    _break(shards, both)
    assert any("position 1 must hold exactly one" in p for p in _failed(shards)["integrity.samples"])


def test_unreferenced_member(shards: Path) -> None:
    def extra(members: Members) -> Members:
        key = members[0][0].split(".")[0]
        return [*members[:1], (f"{key}.9.png", members[1][1]), *members[1:]]

    _break(shards, extra)
    assert any("9.png is not referenced" in p for p in _failed(shards)["integrity.samples"])


def test_duplicate_keys_across_shards(shards: Path) -> None:
    tars = sorted(shards.glob("*.tar"))
    first = _read(tars[0])
    key = first[0][0].split(".")[0]
    duplicate = [m for m in first if m[0].startswith(key + ".")]
    _write(tars[1], _read(tars[1]) + duplicate)
    _refresh_manifest(shards)
    problems = _failed(shards)["integrity.keys"]
    assert problems == [f"{key}: in {tars[0].name} and again in {tars[1].name}"]


def test_members_not_contiguous(shards: Path) -> None:
    def interleave(members: Members) -> Members:
        return [members[-1], *members[:-1]]  # the last sample's last image goes first

    _break(shards, interleave)
    assert any("not contiguous" in p for p in _failed(shards)["integrity.samples"])


def test_missing_manifest(shards: Path) -> None:
    (shards / MANIFEST_NAME).unlink()
    assert _failed(shards)["integrity.manifest"] == [f"{MANIFEST_NAME} is missing"]


def test_decompression_bomb_is_a_decode_failure(shards: Path) -> None:
    from PIL import Image

    big = io.BytesIO()
    Image.new("1", (20000, 20000)).save(big, format="PNG")  # 400 Mpx, a few KB compressed

    def bomb(members: Members) -> Members:
        return [(n, big.getvalue()) if n.endswith(".0.png") else (n, d) for n, d in members]

    _break(shards, bomb)
    assert any("DecompressionBomb" in p for p in _failed(shards)["integrity.images"])


WEB_EXTS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "gif": "gif", "webp": "webp"}


def test_real_broken_images_fail_and_real_good_ones_pass(shared_dir: Path, tmp_path: Path) -> None:
    """Pillow's own test images: every web-format file Pillow cannot load fails, by name."""
    from PIL import Image

    from builder.document import Document, ImageNode, TextNode
    from builder.shards.manifest import write_manifest
    from builder.shards.writer import ShardWriter

    folder = shared_dir / "corpus" / "images" / "pillow"
    rows = [line.split("\t") for line in (folder / "MANIFEST.tsv").read_text().splitlines()[1:]]
    broken, good = [], []
    for row in rows:
        ext = WEB_EXTS.get(row[0].rpartition(".")[2].lower())
        if ext is None:
            continue
        if row[3] in ("error", "bomb_error"):
            broken.append((row[0], ext))
        elif row[3] == "ok" and len(good) < 10:
            with Image.open(folder / row[0]) as im:  # only files whose format matches their extension
                if {"jpg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}[ext] == im.format:
                    good.append((row[0], ext))
    assert len(broken) >= 5 and good
    out = tmp_path / "out"
    with ShardWriter(out, "shard") as writer:
        for i, (name, ext) in enumerate(broken + good):
            node = ImageNode(f"https://example.org/{name}", info={"format": ext})
            node.data = (folder / name).read_bytes()
            writer.write(Document(f"doc{i}", f"https://example.org/{i}", [TextNode("caption"), node]))
    write_manifest(out, writer.shards)
    result = IntegrityChecker(out, sample_size=100).run()
    problems = next(c for c in result.checks if c.name == "integrity.images").problems
    failed_docs = {p.split(":")[1] for p in problems}
    assert failed_docs == {f"doc{i}" for i in range(len(broken))}
    assert len(result.documents) == len(good)


def test_truncated_shard(shards: Path) -> None:
    shard = sorted(shards.glob("*.tar"))[0]
    shard.write_bytes(shard.read_bytes()[:2000])
    failed = _failed(shards)
    assert any("unreadable tar" in p or "missing" in p for p in failed["integrity.samples"])
    assert any(f"{shard.name}: manifest says bytes=" in p for p in failed["integrity.manifest"])


def test_stats_that_do_not_match_the_shards(shards: Path) -> None:
    from builder.stats import Stats

    stats = Stats()
    stats.count("doc.in", 9)
    stats.count("doc.out", 5)
    stats.drop("doc.too_short", 3)
    stats.count("image.in", 12)
    stats.count("image.out", 12)
    (shards / "stats.json").write_text(json.dumps(stats.to_dict()))
    problems = _failed(shards)["integrity.stats"]
    assert "stats.json: doc: in=9 but out=5 + dropped=3" in problems
    assert "stats.json counts doc.out=5, the shards hold 6" in problems
    stats.count("doc.out", 1)
    (shards / "stats.json").write_text(json.dumps(stats.to_dict()))
    assert "integrity.stats" not in _failed(shards)


def test_cli_and_validation_modules_do_not_import_torch(repo_dir: Path) -> None:
    """`loom run` without validation must not pay for torch/transformers imports."""
    import subprocess
    import sys

    code = ("import sys; from builder.cli import build_parser; build_parser(); "
            "import builder.validate.run, builder.export.parquet, builder.train.collator; "
            "print(sorted(m for m in ('torch', 'transformers', 'datasets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=repo_dir, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_integrity_only_needs_no_model(shards: Path, capsys: pytest.CaptureFixture) -> None:
    from builder.cli import main

    assert main(["validate", str(shards), "--integrity-only"]) == 0
    out = capsys.readouterr().out
    assert "integrity.stats" in out and "processor" not in out and "training" not in out
