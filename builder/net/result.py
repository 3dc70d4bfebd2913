"""What one fetch gave: the response, or the reason it failed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FetchResult:
    url: str  # the URL asked for
    final_url: str | None = None  # after redirects
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names, repeats joined by ", "
    header_items: list[tuple[str, str]] = field(default_factory=list)  # every header line, in order
    body: bytes = b""
    # Why the fetch failed: "http_404", "timeout", "robots_disallowed", "ssrf_blocked", "too_large", ...
    error: str | None = None
    attempts: int = 0
    deadline_hit: bool = False  # the total deadline (not a connect/read timeout) ended it
    refused: bool = False  # the response's headers made us refuse its body (X-Robots-Tag noai, a wrong type)
    elapsed_s: float = 0.0
    request_headers: list[tuple[str, str]] = field(default_factory=list)  # as sent, for WARC request records
    history: list[FetchResult] = field(default_factory=list)  # redirect responses before this one

    @property
    def ok(self) -> bool:
        return self.error is None
