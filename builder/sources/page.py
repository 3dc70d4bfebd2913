"""A fetched web page before extraction: bytes, headers and where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from builder.document import Document, Provenance


@dataclass(slots=True)
class Page:
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased HTTP header names
    provenance: Provenance | None = None
    status: int = 200
    # A source that yields finished documents (OBELICS Parquet) sets this; extraction passes it on.
    document: Document | None = None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")
