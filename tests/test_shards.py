from __future__ import annotations

import hashlib
import json
import tarfile

import pytest
import webdataset as wds

from builder.shards.format import FIXED_MTIME
from builder.shards.manifest import read_manifest, write_manifest
from builder.shards.reader import read_documents
from builder.shards.writer import ShardWriter
from tests.factories import make_document


def _write(folder, docs, **limits):
    with ShardWriter(folder, "part", **limits) as writer:
        for doc in docs:
            writer.write(doc)
    write_manifest(folder, writer.shards, {"name": "test"})
    return writer.shards


def test_round_trip_with_loom_reader(tmp_path):
    docs = [make_document(i, paragraphs=3, images=2) for i in range(5)]
    _write(tmp_path, docs)
    back = list(read_documents(tmp_path))
    assert [d.id for d in back] == [d.id for d in docs]
    for original, read in zip(docs, back):
        assert read.to_dict() == original.to_dict()
        assert [n.data for n in read.images] == [n.data for n in original.images]


def test_plain_webdataset_reads_the_shards(tmp_path):
    docs = [make_document(i, paragraphs=2, images=2) for i in range(4)]
    _write(tmp_path, docs)
    urls = [str(p) for p in sorted(tmp_path.glob("*.tar"))]
    samples = list(wds.WebDataset(urls, shardshuffle=False).decode("pil"))
    assert [s["__key__"] for s in samples] == [d.id for d in docs]
    for sample in samples:
        meta = sample["json"]
        refs = [r for r in meta["images"] if r is not None]
        assert len(refs) == 2
        for ref, info in zip(refs, [i for i in meta["image_info"] if i]):
            assert sample[ref].size == (info["width"], info["height"])  # decoded by PIL


def test_members_are_adjacent_with_fixed_metadata(tmp_path):
    _write(tmp_path, [make_document(i, images=2) for i in range(3)])
    (shard,) = tmp_path.glob("*.tar")
    with tarfile.open(shard) as tar:
        members = tar.getmembers()
    keys = [m.name.split(".", 1)[0] for m in members]
    assert keys == sorted(keys, key=keys.index)  # each key's members form one run
    assert len(set(keys)) == 3
    assert all(m.mtime == FIXED_MTIME and m.uid == 0 and m.uname == "" for m in members)


def test_rebuild_is_byte_identical(tmp_path):
    docs = [make_document(i, images=2) for i in range(6)]
    _write(tmp_path / "a", docs, max_samples=4)
    _write(tmp_path / "b", docs, max_samples=4)
    for shard in (tmp_path / "a").glob("*.tar"):
        assert shard.read_bytes() == (tmp_path / "b" / shard.name).read_bytes()
    assert (tmp_path / "a/manifest.json").read_bytes() == (tmp_path / "b/manifest.json").read_bytes()


def test_rotation_by_count_and_by_bytes(tmp_path):
    docs = [make_document(i, images=1) for i in range(7)]
    shards = _write(tmp_path / "count", docs, max_samples=3)
    assert [s.samples for s in shards] == [3, 3, 1]
    shards = _write(tmp_path / "bytes", docs, max_bytes=1)  # every sample overflows: one per shard
    assert [s.samples for s in shards] == [1] * 7


def test_manifest_lists_counts_sizes_and_checksums(tmp_path):
    _write(tmp_path, [make_document(i) for i in range(5)], max_samples=2)
    manifest = read_manifest(tmp_path)
    assert manifest["format_version"] == 1 and manifest["samples"] == 5
    assert manifest["config"] == {"name": "test"}
    for entry in manifest["shards"]:
        path = tmp_path / entry["name"]
        assert entry["bytes"] == path.stat().st_size
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not list(tmp_path.glob("*.tmp"))


def test_writer_refuses_bad_samples(tmp_path):
    doc = make_document(1)
    with ShardWriter(tmp_path, "p") as writer:
        writer.write(doc)
        with pytest.raises(ValueError, match="duplicate"):
            writer.write(doc)
        bad = make_document(2)
        bad.id = "has.dot"
        with pytest.raises(ValueError, match="key"):
            writer.write(bad)
        nobytes = make_document(3)
        nobytes.images[0].data = None
        nobytes.images[0].src = ""  # no bytes is URL-only (format 1.1); no URL either is refused
        with pytest.raises(ValueError, match="neither bytes nor a URL"):
            writer.write(nobytes)


def test_aborted_shard_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), ShardWriter(tmp_path, "p") as writer:
        writer.write(make_document(1))
        raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []


def test_sample_json_names_image_members(tmp_path):
    _write(tmp_path, [make_document(0, images=2)])
    (shard,) = tmp_path.glob("*.tar")
    with tarfile.open(shard) as tar:
        names = tar.getnames()
        meta = json.loads(tar.extractfile(names[0]).read())
    assert names[1:] == [f"{meta['key']}.0.png", f"{meta['key']}.1.png"]
    assert [r for r in meta["images"] if r] == ["0.png", "1.png"]
