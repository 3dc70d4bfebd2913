"""64-bit hashes of text spans and of n-gram windows, computed for a whole array at once.

Words become integers once (a polynomial hash of their characters, from prefix sums), so
word-list look-ups and word n-gram counts are numpy sorts and searches instead of Python
loops over strings. Two different strings share a hash with probability about 2**-64 per
pair; n-gram keys keep 48 bits next to a 16-bit paragraph number (2**-48 per pair).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from filters.char_tables import utf32_codes

_BASE = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_BASE_INV = pow(_BASE, -1, 1 << 64)
_FMIX = np.uint64(0xFF51AFD7ED558CCD)
_LENGTH_MIX = np.uint64(0x9E3779B97F4A7C15)
_powers: tuple[np.ndarray, np.ndarray] = (np.ones(1, np.uint64), np.ones(1, np.uint64))


def _power_tables(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(BASE**j, BASE**-j) modulo 2**64 for j < size, grown by doubling and kept."""
    global _powers
    if len(_powers[0]) < size:
        n = max(size, 2 * len(_powers[0]))
        up = np.full(n, _BASE, dtype=np.uint64)
        down = np.full(n, _BASE_INV, dtype=np.uint64)
        up[0] = down[0] = 1
        _powers = (np.cumprod(up, dtype=np.uint64), np.cumprod(down, dtype=np.uint64))  # wraps mod 2**64
    return _powers


def mix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser, in place: every input bit reaches every output bit."""
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(33)
        h *= _FMIX
        h ^= h >> np.uint64(33)
    return h


def span_hashes(codes: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A hash of each `codes[start:end]` (unsigned integers) that depends only on its
    characters, not its place."""
    up, down = _power_tables(len(codes) + 1)
    prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumsum(codes * down[:len(codes)], out=prefix[1:])
        # sum of c_j * BASE**-j over the span, shifted to start at power 0
        h = (prefix[ends] - prefix[starts]) * up[starts]
        h += (ends - starts).astype(np.uint64) * _LENGTH_MIX
    return mix(h)


def string_ids(strings: Iterable[str]) -> np.ndarray:
    """`span_hashes` of each string, in order: the id a word of the same characters gets."""
    strings = list(strings)
    if not strings:
        return np.zeros(0, dtype=np.uint64)
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    ends = np.cumsum(lengths + 1) - 1
    codes = utf32_codes("\n".join(strings))
    return span_hashes(codes, ends - lengths, ends)


class IdTable:
    """An open-addressing hash table from ids to small flag sets, looked up for a whole array.

    A binary search into a 100 000-word list costs ~17 scattered reads per word; here a
    lookup is mostly one read. Slot 0 marks an empty place (an id of 0, chance 2**-64, is
    never found).
    """

    def __init__(self, ids: np.ndarray, flags: np.ndarray) -> None:
        size = 1 << max(int(len(ids) * 4).bit_length(), 4)  # under 1/4 full: short probes
        self.mask = np.uint64(size - 1)
        self.keys = np.zeros(size, dtype=np.uint64)
        self.flags = np.zeros(size, dtype=flags.dtype)
        if len(ids):  # one entry per id, its flags merged
            order = np.argsort(ids, kind="stable")
            ids, flags = ids[order], flags[order]
            starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
            ids, flags = ids[starts], np.bitwise_or.reduceat(flags, starts)
        self._insert(ids, flags)

    def _insert(self, ids: np.ndarray, flags: np.ndarray) -> None:
        slot = (ids & self.mask).astype(np.int64)
        pending = np.arange(len(ids))
        while len(pending):  # each round places one id per free slot; the others probe on
            free = self.keys[slot] == 0
            cand, cand_slot = pending[free], slot[free]
            _, winners = np.unique(cand_slot, return_index=True)
            self.keys[cand_slot[winners]] = ids[cand[winners]]
            self.flags[cand_slot[winners]] = flags[cand[winners]]
            placed = np.zeros(len(pending), dtype=bool)
            placed[np.flatnonzero(free)[winners]] = True
            pending, slot = pending[~placed], slot[~placed]
            slot = np.where(self.keys[slot] == 0, slot, (slot + 1) & int(self.mask))

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        """The flags of each id (0 for an id not in the table)."""
        out = np.zeros(len(ids), dtype=self.flags.dtype)
        slot = (ids & self.mask).astype(np.int64)
        pending = np.arange(len(ids))
        while len(pending):
            keys = self.keys[slot]
            hit = keys == ids[pending]
            out[pending[hit]] = self.flags[slot[hit]]
            go_on = ~hit & (keys != 0)  # another id sits here: look at the next slot
            pending, slot = pending[go_on], (slot[go_on] + 1) & int(self.mask)
        return out


def window_hashes(symbols: np.ndarray, n: int) -> np.ndarray:
    """A hash of every run of `n` consecutive symbols (unsigned integers), in order, from one prefix sum."""
    m = len(symbols) - n + 1
    if m <= 0:
        return np.zeros(0, dtype=np.uint64)
    up, down = _power_tables(len(symbols) + 1)
    prefix = np.zeros(len(symbols) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumsum(symbols * down[:len(symbols)], out=prefix[1:])
        h = prefix[n:] - prefix[:m]
        h *= up[:m]
    return mix(h)
