"""Constants of the shard format (see docs/shard-format.md); bump FORMAT_VERSION on any change."""

from __future__ import annotations

import re

FORMAT_NAME = "loom-webdataset"
FORMAT_VERSION = 1
# Additions a version-1 reader may ignore (new optional fields) bump this; readers accept any.
# 1: image_info "url" (the candidate used) and "candidates" (every URL of the image).
# 2: the sample's "removed" list (what stages removed, and why); URL-only image nodes.
FORMAT_MINOR_VERSION = 3
MANIFEST_NAME = "manifest.json"
STATS_NAME = "stats.json"
# Every member gets this mtime (2000-01-01T00:00:00Z) so a rebuild is byte-identical.
FIXED_MTIME = 946_684_800
KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
IMAGE_EXTS = ("jpg", "png", "webp", "gif")


def member_name(key: str, suffix: str) -> str:
    return f"{key}.{suffix}"


def split_member(name: str) -> tuple[str, str]:
    """``"abc.0.jpg"`` → ``("abc", "0.jpg")``: WebDataset's rule, split at the first dot."""
    key, _, suffix = name.partition(".")
    return key, suffix
