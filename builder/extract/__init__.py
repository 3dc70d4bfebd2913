"""HTML → ordered interleaved document (text paragraphs and images in page order).

    from builder.extract import extract_document, ExtractRejected
    doc = extract_document(html_bytes, "https://example.org/post.html")
"""

from __future__ import annotations

from builder.extract.config import ExtractConfig
from builder.extract.decode import decode_html
from builder.extract.extractor import ExtractRejected, extract_document

__all__ = ["ExtractConfig", "ExtractRejected", "decode_html", "extract_document"]
