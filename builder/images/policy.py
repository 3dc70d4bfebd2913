"""Opt-out rules that decide, from headers and page metadata, whether an image may be used."""

from __future__ import annotations

from typing import Iterable, Mapping

from builder.images.config import PolicyConfig
from builder.net.x_robots import opt_out_reason

PAGE_NOAI = frozenset({"noai", "noimageai"})
# Content types that are certainly not an image; others (even text/plain) go to the decoder's sniffing.
_NOT_IMAGE_TYPES = (
    "text/html",
    "application/xhtml",
    "application/json",
    "application/javascript",
    "text/javascript",
    "text/css",
)


def page_opt_out(metadata: Mapping[str, object], policy: PolicyConfig) -> str | None:
    """``noai`` when the page's meta robots forbid AI use of its images."""
    if not policy.meta_robots:
        return None
    robots = metadata.get("robots") or []
    if isinstance(robots, str):
        robots = [robots]
    directives = {str(d).strip().lower() for d in robots}  # type: ignore[union-attr]
    return "noai" if directives & PAGE_NOAI else None


def response_opt_out(
    headers: Mapping[str, str], items: Iterable[tuple[str, str]], policy: PolicyConfig, token: str
) -> str | None:
    """A drop reason from an image response's headers (X-Robots-Tag, content type), else None."""
    if policy.x_robots_tag:
        values = [v for k, v in items if k.lower() == "x-robots-tag"]
        reason = opt_out_reason(values, token)
        if reason == "noai" or (reason == "noindex" and policy.noindex_blocks):
            return reason
    ctype = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype == "image/svg+xml":
        return "svg"
    if ctype.startswith(_NOT_IMAGE_TYPES):
        return "wrong_content_type"
    return None
