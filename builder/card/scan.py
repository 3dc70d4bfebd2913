"""What the card says about the documents themselves: read from the shards' JSON members only."""

from __future__ import annotations

import json
import tarfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from builder.card.tokens import TOKENS_KEY, TokenCounter


@dataclass
class CorpusFacts:
    documents: int = 0
    images: int = 0
    text_tokens: int = 0
    image_tokens: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    domains: Counter[str] = field(default_factory=Counter)
    images_per_doc: Counter[int] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)  # provenance.source per document
    first_fetched: str | None = None
    last_fetched: str | None = None
    unreadable: list[str] = field(default_factory=list)

    def add(self, sample: dict[str, Any], counter: TokenCounter) -> None:
        self.documents += 1
        n_images = sum(1 for i in sample.get("images") or [] if i is not None)
        self.images += n_images
        self.images_per_doc[n_images] += 1
        meta = sample.get("metadata") or {}
        tokens = meta.get(TOKENS_KEY)
        if not isinstance(tokens, dict):  # written before token counts existed: count now
            texts = [t for t in sample.get("texts") or [] if t is not None]
            tokens = {"text": sum(counter.text(t) for t in texts), "image": counter.image(n_images)}
        self.text_tokens += int(tokens.get("text", 0))
        self.image_tokens += int(tokens.get("image", 0))
        self.languages[str(meta.get("lang") or "unknown")] += 1
        self.domains[(urlsplit(str(sample.get("url") or "")).hostname or "unknown")] += 1
        prov = sample.get("provenance") or {}
        self.sources[str(prov.get("source") or "unknown")] += 1
        fetched = prov.get("fetched")
        if isinstance(fetched, str) and fetched:
            self.first_fetched = min(self.first_fetched or fetched, fetched)
            self.last_fetched = max(self.last_fetched or fetched, fetched)


def scan_shards(out_dir: Path, shard_names: list[str], counter: TokenCounter) -> CorpusFacts:
    facts = CorpusFacts()
    for name in shard_names:
        try:
            with tarfile.open(out_dir / name) as tar:
                for member in tar:
                    if not member.isfile() or not member.name.endswith(".json"):
                        continue
                    fh = tar.extractfile(member)
                    if fh is not None:
                        facts.add(json.loads(fh.read().decode("utf-8")), counter)
        except (OSError, tarfile.TarError, ValueError) as exc:
            facts.unreadable.append(f"{name}: {exc}")
    return facts
