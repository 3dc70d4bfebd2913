"""Perplexity under a KenLM language model, as OBELICS scored it (node and document level).

OBELICS kept a document when the perplexity of its text under a KenLM model trained on
Wikipedia was <= 1500 (the paragraph-level check existed but was off). The text is
normalised as OBELICS did before scoring: control characters removed (newlines and tabs
included, so paragraphs meet without a space, as in OBELICS), stripped, every Unicode space
made " ", digits made "0", typographic punctuation mapped to ASCII (OBELICS's table, a data
file in ``filters/data/obelics/``); then cut into SentencePiece pieces when the model was
trained on them (``tokenizer``), joined by spaces. The score is KenLM's perplexity of that
line, ``10 ** (-log10 P / (tokens + 1))`` (the ``</s>`` counts), rounded to 0.1 as OBELICS
rounded it. The model (ARPA or KenLM binary) is given by path; nothing is downloaded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import model_validator

from builder.errors import ConfigError
from filters.checks.base import Batch, CheckSettings, Test, TextCheck
from filters.checks.bounds import at_most
from filters.wordlists import OBELICS_DIR

INSTALL_HINT = "pip install 'loom[perplexity]'"
_DELETE_NON_PRINTING = dict.fromkeys([*range(32), *range(127, 160)])  # str.translate: remove
_DIGITS = re.compile(r"\d")
_SPACES = re.compile(r"[^\S\n\t\r\x0b\x0c\x1c-\x1f\x85]")  # Unicode spaces other than controls


def kenlm_problem() -> str | None:
    """Why the `kenlm` package cannot be used here, or None when it can."""
    try:
        import kenlm  # noqa: F401
    except ImportError as exc:
        return (f"the kenlm package is not installed ({exc}); {INSTALL_HINT} "
                "(it builds from source: needs a C++ compiler)")
    return None


class PerplexityFilter(CheckSettings):
    """Keep when the KenLM perplexity of the text is <= `max` (OBELICS: a Wikipedia model, 1500)."""

    enabled: bool = False  # run this filter (needs the `kenlm` package and a model)
    max: float = 1500.0  # highest perplexity kept
    model: str | None = None  # KenLM model, ARPA or binary (relative to the config file)
    tokenizer: str | None = None  # SentencePiece model the LM was trained on (OBELICS's: en.sp.model); null: words

    @model_validator(mode="after")
    def _usable(self) -> PerplexityFilter:
        if self.enabled:
            if not self.model:
                raise ValueError("perplexity.enabled needs perplexity.model (a KenLM .arpa or .bin file)")
            problem = kenlm_problem()
            if problem:
                raise ValueError(f"perplexity.enabled needs KenLM: {problem}")
        return self

    def bounds(self) -> tuple[tuple[str, Test], ...]:
        return (("", at_most(self.max)),)


@lru_cache(maxsize=1)
def unicode_punctuation() -> dict[int, str]:
    """OBELICS's punctuation table, as a `str.translate` table."""
    table = {}
    for line in (OBELICS_DIR / "unicode_punctuation.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            char, replacement = line.split("\t", 1)
            table[ord(char)] = json.loads(replacement)
    return table


def normalize(text: str) -> str:
    """The text as OBELICS fed it to SentencePiece and KenLM."""
    text = text.translate(_DELETE_NON_PRINTING).strip()
    if not text:
        return text
    text = _SPACES.sub(" ", text)
    text = _DIGITS.sub("0", text)
    return text.translate(unicode_punctuation())


@lru_cache(maxsize=4)
def load_scorer(model: str, tokenizer: str | None) -> Callable[[str], float]:
    """A function text -> perplexity, with the model (and tokenizer) loaded once per process."""
    import kenlm

    lm = kenlm.Model(model)
    pieces: Callable[[str], str] = lambda text: text  # noqa: E731 - the default: words as they are
    if tokenizer is not None:
        import sentencepiece

        sp = sentencepiece.SentencePieceProcessor()
        sp.load(tokenizer)
        pieces = lambda text: " ".join(sp.encode_as_pieces(text))  # noqa: E731

    def score(text: str) -> float:
        return round(lm.perplexity(pieces(normalize(text))), 1)

    return score


def _measure(batch: Batch, settings: PerplexityFilter) -> np.ndarray:
    assert settings.model is not None  # the settings' validator saw to it
    score = load_scorer(settings.model, settings.tokenizer)
    return np.fromiter((score(t) for t in batch.texts), dtype=np.float64, count=len(batch.texts))


PERPLEXITY = TextCheck("perplexity", "perplexity", PerplexityFilter, _measure,
                       paragraph={"enabled": False}, document={"enabled": False})


def resolve_model_paths(filters: Any, resolve: Callable[[str], Path]) -> None:
    """Make the perplexity checks' model paths absolute (relative to the config file)."""
    for level in ("paragraph", "document"):
        settings = getattr(getattr(filters, level), PERPLEXITY.name)
        for key in ("model", "tokenizer"):
            value = getattr(settings, key)
            if value is not None:
                setattr(settings, key, str(resolve(value)))


def check_model_files(filters: Any) -> None:
    """ConfigError when an enabled perplexity check's model or tokenizer file is missing.

    `loom config check` and `loom run` call it before anything runs; loading a config does
    not, so a preset whose model is elsewhere (configs/obelics.yaml) can still be read.
    """
    for level in ("paragraph", "document"):
        settings = getattr(getattr(filters, level), PERPLEXITY.name)
        if not filters.enabled or not settings.enabled:
            continue
        for key in ("model", "tokenizer"):
            value = getattr(settings, key)
            if value is not None and not Path(value).is_file():
                raise ConfigError(f"filters.{level}.perplexity.{key}: {value} does not exist "
                                  "(loom downloads no model: give the file's path)")
