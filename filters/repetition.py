"""Gopher-style repetition measures of a document (Rae et al. 2021, "Scaling Language Models").

- duplicated lines / paragraphs: the share of lines (paragraphs) that repeat an earlier one,
  by count and by characters;
- top n-gram share: the share of word characters covered by the most frequent word n-gram.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from filters.config import RepetitionFilters


def _duplicates(pieces: Sequence[str]) -> tuple[float, float]:
    """(share of pieces that repeat an earlier one, share of characters in them)."""
    pieces = [p for p in (p.strip() for p in pieces) if p]
    if not pieces:
        return 0.0, 0.0
    seen: set[str] = set()
    dup_count = dup_chars = total_chars = 0
    for piece in pieces:
        total_chars += len(piece)
        if piece in seen:
            dup_count += 1
            dup_chars += len(piece)
        else:
            seen.add(piece)
    return dup_count / len(pieces), dup_chars / total_chars if total_chars else 0.0


def top_ngram_char_share(words: Sequence[str], n: int) -> float:
    """Characters of the most frequent word n-gram (times its count) over all word characters."""
    total = sum(len(w) for w in words)
    if total == 0 or len(words) < n:
        return 0.0
    grams = Counter(zip(*(words[i:len(words) - n + 1 + i] for i in range(n))))
    gram, count = grams.most_common(1)[0]
    if count < 2:
        return 0.0
    return sum(len(w) for w in gram) * count / total


def repetition_scores(paragraphs: Sequence[str], words: Sequence[str],
                      config: RepetitionFilters) -> dict[str, float]:
    lines = [line for p in paragraphs for line in p.splitlines()]
    line_frac, line_chars = _duplicates(lines)
    para_frac, para_chars = _duplicates(paragraphs)
    scores = {
        "dup_line_frac": line_frac,
        "dup_line_char_frac": line_chars,
        "dup_para_frac": para_frac,
        "dup_para_char_frac": para_chars,
    }
    for n in sorted(config.top_ngram_char_frac):
        scores[f"top_{n}gram_char_frac"] = top_ngram_char_share(words, n)
    return scores


def repetition_failures(scores: dict[str, float], config: RepetitionFilters) -> list[str]:
    limits = {
        "dup_line_frac": config.dup_line_frac,
        "dup_line_char_frac": config.dup_line_char_frac,
        "dup_para_frac": config.dup_para_frac,
        "dup_para_char_frac": config.dup_para_char_frac,
        **{f"top_{n}gram_char_frac": v for n, v in config.top_ngram_char_frac.items()},
    }
    return [key for key, limit in limits.items() if key in scores and scores[key] > limit]
