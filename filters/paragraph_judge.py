"""Scores and verdicts of all of a document's paragraphs at once, from their batch measures.

Each enabled check becomes one column of scores (in OBELICS's order), each column is judged
with the same bound tests `TextScorer` applies to one text, and only then does Python touch
the paragraphs one by one: to store each one's scores. In drop mode a paragraph keeps the
scores up to the one that dropped it (as if scoring had stopped there, as OBELICS did).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from filters.batch_measures import ParagraphMeasures
from filters.lang import identify, lang_score_key
from filters.text_scoring import TextScorer


def _ratio(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    out = np.zeros(len(whole), dtype=np.float64)
    np.divide(part, whole, out=out, where=whole > 0)
    return out


def _punctuation_ratio(m: ParagraphMeasures, min_words: int) -> np.ndarray:
    ratio = _ratio(m.punct, m.tokens)
    if min_words > 0:  # under `min_words` tokens a text is too short to judge: 1
        ratio[(m.tokens > 0) & (m.tokens < min_words)] = 1.0
    return ratio


def score_columns(m: ParagraphMeasures, scorer: TextScorer) -> list[tuple[str, str, np.ndarray]]:
    """(filter name, score key, score of each paragraph) of every check that runs, in order."""
    on, f = scorer.enabled, scorer.filters
    candidates = (
        ("words", "words", lambda: m.words.astype(np.float64)),
        ("char_repetition", "char_repetition", lambda: m.char_repetition),
        ("word_repetition", "word_repetition", lambda: m.word_repetition),
        ("special_chars", "special_char_ratio", lambda: _ratio(m.special, m.chars)),
        ("stopwords", "stopword_ratio", lambda: _ratio(m.stop, m.words)),
        ("flagged_words", "flagged_word_ratio", lambda: _ratio(m.flagged, m.words)),
        ("punctuation", "punctuation_ratio", lambda: _punctuation_ratio(m, f.punctuation.min_words)),
        ("common_words", "common_word_ratio", lambda: _ratio(m.common, m.words)),
        ("spam", "spam_ratio", lambda: _ratio(m.spam, m.words)),
    )
    needs = {"stopwords": m.stop, "flagged_words": m.flagged, "common_words": m.common, "spam": m.spam}
    return [(name, key, column()) for name, key, column in candidates
            if on[name] and needs.get(name, m.words) is not None]  # no word list: no score


def judge_paragraphs(m: ParagraphMeasures, scorer: TextScorer, texts: Sequence[str], stop_early: bool
                     ) -> tuple[list[dict[str, float]], list[list[str]]]:
    """Per paragraph: its scores and the filters it fails, in filter order.

    With `stop_early` a failing paragraph gets the scores up to its first failure only.
    """
    n = len(texts)
    columns = score_columns(m, scorer)
    if columns:
        names, keys, values = zip(*columns)
        fails = ~np.column_stack([scorer._passes[name](v) for name, _, v in columns])
        rows = np.column_stack(values).tolist()
    else:
        names, keys, rows, fails = (), (), [[] for _ in range(n)], np.zeros((n, 0), dtype=bool)
    failing = fails.any(axis=1)
    first = fails.argmax(axis=1) if fails.shape[1] else np.zeros(n, dtype=np.int64)
    scores: list[dict[str, float]] = []
    failed: list[list[str]] = []
    for i, row in enumerate(rows):
        if not failing[i]:
            scores.append(dict(zip(keys, row)))
            failed.append([])
        elif stop_early:
            stop = first[i] + 1
            scores.append(dict(zip(keys[:stop], row[:stop])))
            failed.append([names[first[i]]])
        else:
            scores.append(dict(zip(keys, row)))
            failed.append([names[j] for j in np.flatnonzero(fails[i])])
    if scorer.enabled["lang"]:
        lang = scorer.filters.lang
        for i, text in enumerate(texts):
            if stop_early and failed[i]:
                continue
            code, prob = identify(text, lang.max_chars)
            scores[i][lang_score_key(code or "unknown")] = prob
            if code not in scorer.languages or prob < lang.min_score:
                failed[i].append("lang")
    return scores, failed
