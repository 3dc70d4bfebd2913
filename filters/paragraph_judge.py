"""Scores and verdicts of many paragraphs (or documents) at once, from their batch measures.

Each enabled check (`filters.checks`) becomes one column of scores, in registry order; each
of its bounds judges the column with the same test `TextScorer` applies to one text, and
only then does Python touch the paragraphs one by one: to store each one's scores. In drop mode a paragraph keeps the
scores up to the one that dropped it (as if scoring had stopped there, as OBELICS did).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from filters.batch_measures import ParagraphMeasures
from filters.checks import Batch, TextCheck
from filters.lang import identify, lang_score_key
from filters.text_scoring import TextScorer

Scores = tuple[tuple[str, ...], list[float]]


def score_columns(m: ParagraphMeasures, scorer: TextScorer, texts: Sequence[str]
                  ) -> list[tuple[TextCheck, np.ndarray]]:
    """(check, score of each text) of every enabled check that can be measured here, in order."""
    batch = Batch(texts, m)
    columns = [(check, check.measure(batch, settings)) for check, settings in scorer.checks]
    return [(check, values) for check, values in columns if values is not None]  # None: no word list


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
    columns = score_columns(m, scorer, texts)
    # One verdict column per bound (a check with two bounds has two reasons), each knowing its score column.
    names: list[str] = []
    score_of: list[int] = []
    verdicts = []
    for j, (check, values) in enumerate(columns):
        for reason, passes in scorer.bounds[check.name]:
            names.append(reason)
            score_of.append(j)
            verdicts.append(passes(values))
    keys = tuple(check.score_key for check, _ in columns)
    if columns:
        fails = ~np.column_stack(verdicts)
        rows = np.column_stack([values for _, values in columns]).tolist()
    else:
        rows, fails = [[] for _ in range(n)], np.zeros((n, 0), dtype=bool)
    failing = fails.any(axis=1)
    first = fails.argmax(axis=1) if fails.shape[1] else np.zeros(n, dtype=np.int64)
    if stop_early:  # a failing text keeps the scores up to (and with) the check that failed it
        stops = np.where(failing, np.asarray(score_of, dtype=np.int64)[first] + 1 if names else 0,
                         len(keys)).tolist()
        prefixes = [keys[:k] for k in range(len(keys) + 1)]
        scores = [(prefixes[k], row) for k, row in zip(stops, rows)]
        alone = [(name,) for name in names]  # shared: no new object per text
        failed = [alone[j] if f else () for j, f in zip(first.tolist(), failing.tolist())]
    else:
        scores = [(keys, row) for row in rows]
        failed = [tuple(names[j] for j in np.flatnonzero(row)) if f else () for row, f in zip(fails, failing.tolist())]
    lang = scorer.lang
    if lang is not None:
        for i, text in enumerate(texts):
            if (stop_early and failed[i]) or (skip is not None and skip[i]):
                continue
            known = known_langs[i] if known_langs is not None else None
            code, prob = known if known is not None else identify(text, lang.max_chars)
            item_keys, values = scores[i]
            scores[i] = ((*item_keys, lang_score_key(code or "unknown")), [*values, prob])
            if not lang.accepts(code, prob, scorer.languages):
                failed[i] = (*failed[i], "lang")
    return scores, failed
