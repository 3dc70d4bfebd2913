"""LoomShardDataset: every sample once, split across workers and ranks, seeded shuffle, resumption."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.validate.synthetic import write_synthetic_shards

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader  # noqa: E402

from builder.train.dataset import LoomShardDataset  # noqa: E402


def _ids(batch: list) -> list[str]:
    return [doc.id for doc in batch]


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_shards(tmp_path_factory.mktemp("ds") / "out", n_docs=20, max_samples=3)


@pytest.fixture(scope="module")
def all_keys(shards: Path) -> set[str]:
    from builder.shards.reader import read_documents

    return {doc.id for doc in read_documents(shards)}


def test_documents_come_back_whole(shards: Path, all_keys: set[str]) -> None:
    docs = list(LoomShardDataset(shards, shuffle=False))
    assert {d.id for d in docs} == all_keys and len(docs) == 20
    assert all(node.data for d in docs for node in d.images)


def test_dataloader_workers_share_the_work(shards: Path, all_keys: set[str]) -> None:
    loader = DataLoader(LoomShardDataset(shards), batch_size=3, num_workers=2, collate_fn=_ids)
    seen = [key for batch in loader for key in batch]
    assert sorted(seen) == sorted(all_keys)


@pytest.mark.parametrize("split", ["auto", "sample"])
def test_ranks_are_disjoint_and_complete(shards: Path, all_keys: set[str], split: str) -> None:
    parts = [{d.id for d in LoomShardDataset(shards, rank=r, world_size=3, split=split)} for r in range(3)]
    assert set.union(*parts) == all_keys and sum(map(len, parts)) == 20
    if split == "sample":
        assert sorted(map(len, parts)) == [6, 7, 7]


def test_more_readers_than_shards_fall_back_to_samples(shards: Path, all_keys: set[str]) -> None:
    parts = [{d.id for d in LoomShardDataset(shards, rank=r, world_size=10)} for r in range(10)]
    assert set.union(*parts) == all_keys and all(len(p) == 2 for p in parts)


def test_shuffle_is_seeded_and_changes_per_epoch(shards: Path) -> None:
    def order(seed: int, epoch: int) -> list[str]:
        return [d.id for d in LoomShardDataset(shards, seed=seed, epoch=epoch, shuffle_buffer=8)]

    assert order(1, 0) == order(1, 0)
    assert order(1, 0) != order(1, 1) and sorted(order(1, 0)) == sorted(order(1, 1))
    assert order(1, 0) != order(2, 0)
    assert [d.id for d in LoomShardDataset(shards, shuffle=False)] != order(1, 0)


@pytest.mark.parametrize("workers", [0, 2])
def test_resume_continues_where_it_stopped(shards: Path, workers: int) -> None:
    def loader(ds: LoomShardDataset) -> DataLoader:
        return DataLoader(ds, batch_size=2, num_workers=workers, collate_fn=_ids)

    first = LoomShardDataset(shards, seed=3, shuffle_buffer=4)
    full = list(loader(first))
    resumed = LoomShardDataset(shards, seed=3, shuffle_buffer=4)
    resumed.load_state_dict(first.state_dict(batches_consumed=3, batch_size=2))
    assert list(loader(resumed)) == full[3:]


def test_a_corrupt_shard_costs_samples_with_a_warning(tmp_path: Path) -> None:
    out = write_synthetic_shards(tmp_path / "out", n_docs=6, max_samples=3)
    second = sorted(out.glob("*.tar"))[1]
    second.write_bytes(second.read_bytes()[:1500])  # cut inside the first member
    with pytest.warns(UserWarning, match="skipping"):
        docs = list(LoomShardDataset(out, shuffle=False))
    assert len(docs) == 3
