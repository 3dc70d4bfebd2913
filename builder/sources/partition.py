"""A partition: the unit of work that one worker processes, resumes and commits as a whole."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Partition:
    id: str  # stable across runs, safe in file names; shards are named after it
    source_index: int  # which entry of config.sources it comes from
    items: tuple[str, ...]  # what to read: file paths, URLs, ...
    label: str = ""  # human-readable, for messages


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def partition_id(kind: str, identity: str, hint: str) -> str:
    """`<hint>-<hash>`: readable and stable; the hash keeps ids unique when hints collide."""
    digest = hashlib.sha1(f"{kind}\x00{identity}".encode()).hexdigest()[:10]
    stem = _UNSAFE.sub("_", hint).strip("_")[:40] or kind
    return f"{stem}-{digest}"
