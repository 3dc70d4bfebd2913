"""A torch `IterableDataset` over loom shards: WebDataset tar reading, split across distributed
ranks and DataLoader workers, seeded shuffling, and resumption.

Splitting (``split="auto"``): shards are dealt to the ``world_size * num_workers`` readers
(rank-major), so each reader opens only its own shards. With fewer shards than readers, or
with ``split="sample"`` (even counts per rank, which DDP prefers), every reader opens every
shard and keeps every n-th sample instead; either way each sample is read by one reader.

Shuffling: the shard order is shuffled per epoch (``seed + epoch``), and a buffer of
``shuffle_buffer`` samples is shuffled per reader. Same seed and epoch → same order.

Resumption: the order is deterministic, so resuming is skipping. ``state_dict(batches)``
records how many batches this rank consumed; `load_state_dict` makes each worker skip the
samples it had produced. A DataLoader takes batches from its workers in turn, so worker
``w`` produced ``batches // W (+1 if w < batches % W)`` of them; on resume the workers are
rotated so the next batch comes from the worker whose turn it was. Exact while every worker
still has data, which holds for all but the last few batches of an epoch.
"""

from __future__ import annotations

import os
import random
import warnings
from pathlib import Path
from typing import Any, Iterator, Sequence

from builder.document import Document
from builder.shards.reader import sample_to_document, shard_paths


def _distributed() -> tuple[int, int]:
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
    except ImportError:
        pass
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def _warn_and_continue(exc: Exception) -> bool:
    # A broken shard member costs one sample, with a warning, not the training run.
    warnings.warn(f"loom dataset: skipping a sample: {exc!r}", stacklevel=2)
    return True


def _base() -> type:
    from torch.utils.data import IterableDataset

    return IterableDataset


class LoomShardDataset(_base()):  # type: ignore[misc]
    """Yields `Document`s (with image bytes) from a loom output folder or a list of tar files."""

    def __init__(self, source: str | Path | Sequence[str | Path], *, shuffle: bool = True,
                 shuffle_buffer: int = 256, seed: int = 0, epoch: int = 0,
                 rank: int | None = None, world_size: int | None = None, split: str = "auto") -> None:
        super().__init__()
        if isinstance(source, (str, Path)):
            self.shards = [str(p) for p in shard_paths(source)]
        else:
            self.shards = [str(p) for p in source]
        if not self.shards:
            raise ValueError(f"no shards found in {source}")
        if split not in ("auto", "shard", "sample"):
            raise ValueError(f"split must be auto, shard or sample, got {split!r}")
        self.split = split
        self.shuffle = shuffle
        self.shuffle_buffer = shuffle_buffer if shuffle else 0
        self.seed = seed
        self.epoch = epoch
        self.rank = rank
        self.world_size = world_size
        self.resume_batches = 0
        self.resume_batch_size = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.resume_batches = 0

    def state_dict(self, batches_consumed: int, batch_size: int) -> dict[str, int]:
        return {"epoch": self.epoch, "batches": batches_consumed, "batch_size": batch_size, "seed": self.seed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch = int(state["epoch"])
        self.seed = int(state.get("seed", self.seed))
        self.resume_batches = int(state["batches"])
        self.resume_batch_size = int(state["batch_size"])

    def _reader(self) -> tuple[int, int, int, int]:
        """(reader index, reader count, worker id, worker count) of the calling process."""
        from torch.utils.data import get_worker_info

        rank, world = _distributed()
        rank = self.rank if self.rank is not None else rank
        world = self.world_size if self.world_size is not None else world
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        # After a resume the DataLoader asks worker 0 first, but the next batch belongs to
        # worker `batches % W` of the original run: rotate, so each worker continues that stream.
        worker = (worker + self.resume_batches) % workers
        return rank * workers + worker, world * workers, worker, workers

    def _skip(self, worker: int, workers: int) -> int:
        full, extra = divmod(self.resume_batches, workers)
        return (full + (1 if worker < extra else 0)) * self.resume_batch_size

    def __iter__(self) -> Iterator[Document]:
        from webdataset.tariterators import tarfile_samples

        reader, readers, worker, workers = self._reader()
        order = list(self.shards)
        if self.shuffle:
            random.Random(self.seed + self.epoch).shuffle(order)
        by_shard = self.split == "shard" or (self.split == "auto" and len(order) >= readers)
        if by_shard:
            mine, every = order[reader::readers], 1
        else:
            mine, every = order, readers
        samples = tarfile_samples(({"url": url} for url in mine), handler=_warn_and_continue)
        rng = random.Random(f"{self.seed}-{self.epoch}-{reader}")
        stream = (s for i, s in enumerate(samples) if every == 1 or i % every == reader)
        stream = _buffer_shuffle(stream, self.shuffle_buffer, rng)
        skip = self._skip(worker, workers)
        for i, sample in enumerate(stream):
            if i < skip:
                continue
            try:
                doc = sample_to_document(sample)
            except (KeyError, ValueError) as exc:
                _warn_and_continue(exc)
                continue
            if any(node.data is None for node in doc.images):
                _warn_and_continue(ValueError(f"{doc.id}: image member(s) missing"))
                continue
            yield doc


def _buffer_shuffle(stream: Iterator[Any], size: int, rng: random.Random) -> Iterator[Any]:
    """Shuffle within a buffer of `size` items (0 or 1: keep the order)."""
    if size <= 1:
        yield from stream
        return
    buffer: list[Any] = []
    for item in stream:
        buffer.append(item)
        if len(buffer) >= size:
            i = rng.randrange(len(buffer))
            buffer[i], buffer[-1] = buffer[-1], buffer[i]
            yield buffer.pop()
    rng.shuffle(buffer)
    yield from buffer
