"""Scores and verdicts of many paragraphs (or documents) at once, from their batch measures.

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

Scores = tuple[tuple[str, ...], list[float]]


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


def judge_paragraphs(m: ParagraphMeasures, scorer: TextScorer, texts: Sequence[str], stop_early: bool,
                     known_langs: Sequence[tuple[str, float] | None] | None = None,
                     skip: Sequence[bool] | None = None) -> tuple[list[Scores], list[tuple[str, ...]]]:
    """Per text (paragraphs, or documents measured by `document_measures`): its scores (keys and
    values, to ``dict.update(zip(*scores))``) and the filters it fails, in filter order.

    With `stop_early` a failing text gets the scores up to its first failure only.
    `known_langs` are language predictions made on these same texts already; language id
    does not run for a text marked in `skip` (its verdict comes from elsewhere).
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
    if stop_early:  # a failing text keeps the scores up to its first failure
        stops = np.where(failing, first + 1, len(keys)).tolist()
        prefixes = [keys[:k] for k in range(len(keys) + 1)]
        scores = [(prefixes[k], row) for k, row in zip(stops, rows)]
        alone = [(name,) for name in names]  # shared: no new object per text
        failed = [alone[j] if f else () for j, f in zip(first.tolist(), failing.tolist())]
    else:
        scores = [(keys, row) for row in rows]
        failed = [tuple(names[j] for j in np.flatnonzero(row)) if f else () for row, f in zip(fails, failing.tolist())]
    if scorer.enabled["lang"]:
        lang = scorer.filters.lang
        for i, text in enumerate(texts):
            if (stop_early and failed[i]) or (skip is not None and skip[i]):
                continue
            known = known_langs[i] if known_langs is not None else None
            code, prob = known if known is not None else identify(text, lang.max_chars)
            item_keys, values = scores[i]
            scores[i] = ((*item_keys, lang_score_key(code or "unknown")), [*values, prob])
            if code not in scorer.languages or prob < lang.min_score:
                failed[i] = (*failed[i], "lang")
    return scores, failed
