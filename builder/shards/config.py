"""Settings of the WebDataset shard writer."""

from __future__ import annotations

from pydantic import Field

from builder.config_base import Section


class ShardsConfig(Section):
    max_samples: int = Field(1000, ge=1)  # start a new shard after this many samples
    max_bytes: int = Field(500 * 1024 * 1024, ge=1)  # ... or once a shard reaches this size
    keep_rejects: bool = True  # also write dropped documents, with their reason, to rejects/
    # ... a bounded sample of them: the first N of each drop reason in each partition (0: every one)
    rejects_per_reason: int = Field(20, ge=0)
    # a run that keeps under this share of its documents ends with a loud warning (--strict: exit 1)
    min_kept_share: float = Field(0.01, ge=0, le=1)
