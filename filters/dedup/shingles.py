"""Word n-gram hashes for a batch of texts, vectorised with numpy.

Words are maximal runs of ASCII letters/digits or non-ASCII characters, compared
lower-cased, so punctuation and whitespace (also no-break spaces, curly quotes, dashes,
CJK and full-width punctuation) do not change a shingle; each Chinese/Japanese character is
a word of its own. Each word gets a polynomial hash of
its UTF-8 bytes computed from prefix sums (wrapping arithmetic), spread to 64 bits by
splitmix64; an n-gram combines its words' hashes with fixed odd multipliers. No Python loop
over words: about 30 ns a word.
"""

from __future__ import annotations

import numpy as np

# Word hashes are polynomial in 32-bit arithmetic (half the memory traffic of 64-bit over every
# byte), then widened and mixed to 64 bits; two words share a hash with chance 2**-32, which
# moves a Jaccard estimate by nothing measurable.
_BASE = np.uint32(0x01000193)  # odd, so it has an inverse modulo 2**32
_BASE_INV = np.uint32(pow(0x01000193, -1, 2**32))

_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[ord("0") : ord("9") + 1] = True
_WORD_BYTE[ord("a") : ord("z") + 1] = True
_WORD_BYTE[ord("A") : ord("Z") + 1] = True
_WORD_BYTE[0x80:] = True

# Odd multipliers, one per position inside an n-gram (order matters: "a b" != "b a").
_NGRAM_MULTIPLIERS = np.array(
    [(0x9E3779B97F4A7C15 * (2 * i + 1) + 0xD1B54A32D192ED03 * i) % 2**64 | 1 for i in range(16)],
    dtype=np.uint64,
)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """A bijective bit mixer on uint64 arrays (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


_POWER_TABLES: list[tuple[np.ndarray, np.ndarray]] = []  # one pair, grown to the largest batch seen


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """BASE**i and BASE**-i modulo 2**32 for i < n (at least): one table, reused by every batch."""
    if _POWER_TABLES and _POWER_TABLES[0][0].size >= n:
        return _POWER_TABLES[0]
    size = 1 << max(16, (n - 1).bit_length())
    with np.errstate(over="ignore"):
        pw = np.cumprod(np.full(size, _BASE, dtype=np.uint32), dtype=np.uint32)
        inv = np.cumprod(np.full(size, _BASE_INV, dtype=np.uint32), dtype=np.uint32)
    tables = (np.concatenate(([np.uint32(1)], pw[:-1])), np.concatenate(([np.uint32(1)], inv[:-1])))
    _POWER_TABLES[:] = [tables]
    return tables


def _cjk_characters(buf: np.ndarray, padded: np.ndarray) -> np.ndarray:
    """Offsets of CJK characters (kana, ideographs: U+3040-U+9FFF), each of which is a word.

    Chinese and Japanese do not put spaces between words, so a character is the unit, as
    datatrove's CJK tokenisers make it in effect. General punctuation (U+2000-U+206F: curly
    quotes, dashes, ellipsis), CJK punctuation (U+3000-U+303F) and full-width forms
    (U+FF00-U+FF7F: "，", "！") are marked as separators in `padded` on the way. Only the
    (rare) bytes >= 0xE2 are looked at, so Latin text pays one comparison per byte.
    """
    lead = np.flatnonzero(buf >= 0xE2)
    lead = lead[(buf[lead] <= 0xEF) & (lead + 2 < buf.size)]  # 3-byte sequences only
    if lead.size == 0:
        return lead
    first, second = buf[lead], buf[lead + 1]
    separator = (((first == 0xE2) & ((second == 0x80) | (second == 0x81)))
                 | ((first == 0xE3) & (second == 0x80))
                 | ((first == 0xEF) & ((second == 0xBC) | (second == 0xBD))))
    for k in range(3):
        padded[1 + lead[separator] + k] = False
    return lead[~separator & (first >= 0xE3) & (first <= 0xE9)]


def _split_cjk(starts: np.ndarray, ends: np.ndarray, cjk: np.ndarray,
               padded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Word bounds with every CJK character a word of its own."""
    after = cjk + 3
    is_word = padded[1:-1]
    next_is_word = after[is_word[np.minimum(after, is_word.size - 1)] & (after < is_word.size)]
    prev_is_word = cjk[(cjk > 0) & is_word[np.maximum(cjk - 1, 0)]]
    starts = np.union1d(np.union1d(starts, cjk), next_is_word)
    ends = np.union1d(np.union1d(ends, after), prev_is_word)
    return starts, ends


def word_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every word of every text, and the index of the text each word is in."""
    encoded = [t.lower().replace("\xa0", " ").encode("utf-8", "replace") for t in texts]
    data = b" ".join(encoded)
    if not data:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    buf = np.frombuffer(data, dtype=np.uint8)
    padded = np.zeros(buf.size + 2, dtype=bool)
    np.take(_WORD_BYTE, buf, out=padded[1:-1])
    cjk = _cjk_characters(buf, padded)
    starts = np.flatnonzero(padded[1:] > padded[:-1])  # a word byte after a non-word byte
    ends = np.flatnonzero(padded[:-1] > padded[1:])
    if cjk.size:
        starts, ends = _split_cjk(starts, ends, cjk, padded)
    if starts.size == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    pw, inv = _powers(buf.size + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(buf.size + 1, dtype=np.uint32)
        np.cumsum(np.multiply(buf, pw[: buf.size], dtype=np.uint32), out=prefix[1:])
        words = ((prefix[ends] - prefix[starts]) * inv[starts]).astype(np.uint64)
    # Each text starts after the previous ones and one joining space: its first word is the
    # first word starting at or after that offset.
    text_starts = np.cumsum([0] + [len(e) + 1 for e in encoded[:-1]])
    first_word = np.searchsorted(starts, text_starts, side="left")
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(np.append(first_word, starts.size)))
    return splitmix64(words), owner


def shingle_hashes(texts: list[str], ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat uint64 hashes of each text's word `ngram`-grams and row offsets (``len(texts) + 1``).

    A text shorter than `ngram` words has one shingle made of all its words; a text with no
    word has none (an empty row).
    """
    words, owner = word_hashes(texts)
    n_texts = len(texts)
    n_words = words.size
    if n_words == 0:
        return np.zeros(0, np.uint64), np.zeros(n_texts + 1, np.uint64)
    counts = np.bincount(owner, minlength=n_texts)
    span = min(ngram, n_words)
    n_grams = n_words - span + 1
    with np.errstate(over="ignore"):
        combined = np.zeros(n_grams, dtype=np.uint64)
        for k in range(span):
            combined += words[k : k + n_grams] * _NGRAM_MULTIPLIERS[k]
    valid = owner[:n_grams] == owner[span - 1 : span - 1 + n_grams]
    hashes = [combined[valid]]
    owners = [owner[:n_grams][valid]]
    # Texts with fewer words than the n-gram: one shingle of all their words.
    short = np.flatnonzero((counts > 0) & (counts < ngram))
    if short.size:
        first_word = np.concatenate(([0], np.cumsum(counts)[:-1]))
        extra = np.zeros(short.size, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j, text in enumerate(short):
                s = first_word[text]
                seg = words[s : s + counts[text]]
                extra[j] = np.sum(seg * _NGRAM_MULTIPLIERS[: seg.size], dtype=np.uint64)
        hashes.append(extra)
        owners.append(short.astype(np.int64))
    if len(hashes) == 1:
        flat, flat_owner = hashes[0], owners[0]  # already in text order
    else:
        flat_owner = np.concatenate(owners)
        order = np.argsort(flat_owner, kind="stable")
        flat, flat_owner = np.concatenate(hashes)[order], flat_owner[order]
    per_text = np.bincount(flat_owner, minlength=n_texts)
    offsets = np.zeros(n_texts + 1, dtype=np.uint64)
    np.cumsum(per_text, out=offsets[1:])
    return flat, offsets
