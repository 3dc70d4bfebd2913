"""Token counts, the size figure trainers ask for: text tokens and image tokens per document.

Text: the Idefics2 tokenizer (Mistral's byte-fallback BPE, `tokenizer.json`) read with the
`tokenizers` package when it is on this machine; nothing is downloaded. Otherwise a proxy:
whitespace-separated words (`str.split`), named ``whitespace`` wherever counts are shown. A
BPE tokenizer cuts English into more tokens than words, so the proxy is an underestimate.
Images: what Idefics2 puts in the sequence for each image, `image_seq_len` (64) ``<image>``
tokens, five times that with image splitting (four crops and the whole image).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from builder.card.config import CardConfig
from builder.document import Document

log = logging.getLogger(__name__)

WHITESPACE = "whitespace"
TOKENS_KEY = "tokens"  # doc.metadata["tokens"] = {"text": n, "image": m}
SPLIT_FACTOR = 5


def _tokenizer_file(spec: str) -> Path | None:
    """The tokenizer.json that `spec` names on this machine (file, folder, or cached hub id)."""
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    if (path / "tokenizer.json").is_file():
        return path / "tokenizer.json"
    if path.exists() or spec.count("/") != 1:
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    cached = try_to_load_from_cache(spec, "tokenizer.json")
    return Path(cached) if isinstance(cached, str) else None


@lru_cache(maxsize=4)
def _load(spec: str | None) -> tuple[str, Any]:
    """(name, tokenizer or None) for a tokenizer spec; once per process."""
    if spec is None:
        return WHITESPACE, None
    try:
        from tokenizers import Tokenizer
    except ImportError:
        log.info("tokens: the tokenizers package is not installed (extra validate): whitespace proxy")
        return WHITESPACE, None
    file = _tokenizer_file(spec)
    if file is None:
        log.info("tokens: tokenizer %s is not on this machine: whitespace proxy", spec)
        return WHITESPACE, None
    try:
        return spec, Tokenizer.from_file(str(file))
    except Exception as exc:  # a damaged file must not stop a run: counts fall back, named so
        log.warning("tokens: cannot read %s (%s): whitespace proxy", file, exc)
        return WHITESPACE, None


class TokenCounter:
    """Counts a document's text and image tokens as the card's settings say."""

    def __init__(self, config: CardConfig) -> None:
        self.name, self._tokenizer = _load(config.tokenizer)
        self.per_image = config.image_seq_len * (SPLIT_FACTOR if config.image_splitting else 1)

    def text(self, text: str) -> int:
        if self._tokenizer is None:
            return len(text.split())
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def image(self, n_images: int) -> int:
        return n_images * self.per_image

    def describe(self) -> dict[str, Any]:
        return {"tokenizer": self.name, "image_tokens_per_image": self.per_image}


def count_document_tokens(doc: Document, counter: TokenCounter) -> dict[str, int]:
    """Count `doc`'s tokens, store them in its metadata and return them."""
    texts = [n.text for n in doc.texts]
    counts = {"text": sum(counter.text(t) for t in texts), "image": counter.image(len(doc.images))}
    doc.metadata[TOKENS_KEY] = counts
    return counts


def token_totals(stats: Any, config: Any) -> dict[str, Any]:
    """The manifest's ``tokens``: a run's totals (from its `Stats`) and how they were counted."""
    counter = TokenCounter(config.card)
    return {"text": stats.counts["tokens.text"], "image": stats.counts["tokens.image"], **counter.describe()}
