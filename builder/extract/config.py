"""Settings of the HTML → interleaved document extractor."""

from __future__ import annotations

from builder.config_base import Section


class ExtractConfig(Section):
    max_page_bytes: int = 5_000_000  # larger pages are rejected as doc.page_too_large
    time_limit_s: float = 5.0  # per page; slower pages are rejected as doc.extract_timeout
    max_srcset_width: int = 1600  # best srcset candidate up to this width
    max_depth: int = 5_000  # deeper element nesting is rejected as doc.too_deep (the parser is quadratic there)
