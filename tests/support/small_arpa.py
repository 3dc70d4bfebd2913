"""A small KenLM model for tests, written as an ARPA file from counts (no lmplz needed).

Sentences come from a little English grammar; the model is an interpolated absolute-discount
bigram model: P(w | u) = max(c(u, w) - D, 0) / c(u) + D * N1+(u) / c(u) * P(w), with the
unigram P(w) = c(w) / (N + 1) and <unk> the last 1 / (N + 1). In ARPA terms each seen bigram
stores its interpolated probability and each context its back-off weight D * N1+(u) / c(u).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

SUBJECTS = ["the museum", "the curator", "our city", "the old library", "a young painter", "the river",
            "the small school", "her brother", "the village", "the new gallery", "my neighbour", "the team"]
VERBS = ["opened", "visited", "painted", "described", "cleaned", "moved", "showed", "found", "built", "studied"]
OBJECTS = ["a new wing", "the bright rooms", "the old paintings", "a quiet garden", "the long bridge",
           "the winter market", "a wooden boat", "the stone church", "the first books", "a large map"]
ENDINGS = ["in the spring", "after the war", "for the children", "with great care", "near the harbour",
           "before the storm", "during the summer", "at the end of the year", "for the first time", "every morning"]


def fluent_sentences(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
            f"{rng.choice(ENDINGS)}." for _ in range(n)]


def write_arpa(sentences: list[list[str]], path: Path, discount: float = 0.75) -> Path:
    """Write a bigram ARPA model of `sentences` (each a list of tokens) to `path`."""
    unigrams: Counter[str] = Counter()
    bigrams: Counter[tuple[str, str]] = Counter()
    for tokens in sentences:
        seq = ["<s>", *tokens, "</s>"]
        unigrams.update(seq[1:])
        bigrams.update(zip(seq[:-1], seq[1:]))
    total = sum(unigrams.values())
    p1 = {w: c / (total + 1) for w, c in unigrams.items()}
    p1["<unk>"] = 1 / (total + 1)
    context: Counter[str] = Counter()
    followers: Counter[str] = Counter()
    for (u, _), c in bigrams.items():
        context[u] += c
        followers[u] += 1
    backoff = {u: discount * followers[u] / context[u] for u in context}
    lines = ["\\data\\", f"ngram 1={len(p1) + 1}", f"ngram 2={len(bigrams)}", "", "\\1-grams:"]
    lines.append(f"-99\t<s>\t{math.log10(backoff['<s>']):.6f}")
    for w in sorted(p1):
        bow = f"\t{math.log10(backoff[w]):.6f}" if w in backoff else ""
        lines.append(f"{math.log10(p1[w]):.6f}\t{w}{bow}")
    lines += ["", "\\2-grams:"]
    for (u, w), c in sorted(bigrams.items()):
        p = (c - discount) / context[u] + backoff[u] * p1[w]
        lines.append(f"{math.log10(p):.6f}\t{u} {w}")
    lines += ["", "\\end\\", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def small_model(folder: Path, n: int = 400) -> Path:
    """The test model: `n` grammar sentences, tokens as loom's perplexity check sees them (words)."""
    from filters.checks.perplexity import normalize

    return write_arpa([normalize(s).split() for s in fluent_sentences(n)], folder / "small.arpa")
