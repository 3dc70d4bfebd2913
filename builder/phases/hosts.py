"""Which fetch bucket a URL belongs to: a hash of its registrable domain, so one site is one task.

Every URL of a registrable domain (``img.example.co.uk`` and ``www.example.co.uk`` are both
``example.co.uk``) lands in the same bucket, and a bucket is fetched by exactly one task of the
run: that task's per-host limiter and robots.txt cache are the only ones that ever talk to the
host, so its politeness holds for the whole run however many workers there are. The public
suffix list is tldextract's bundled snapshot: nothing is downloaded.
"""

from __future__ import annotations

import functools
import hashlib
from urllib.parse import urlsplit

FETCH_BUCKETS = 256  # fixed, so a resumed run with another worker count keeps its buckets


@functools.lru_cache(maxsize=1)
def _extractor():  # noqa: ANN202 - tldextract's type
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """``example.co.uk`` for ``img.example.co.uk``; an IP address or a bare name is itself."""
    host = host.lower().strip(".")
    if not host or host[0].isdigit() and host.replace(".", "").isdigit() or ":" in host:
        return host  # IPv4 / IPv6 literal
    parts = _extractor()(host)
    domain = getattr(parts, "top_domain_under_public_suffix", None) or parts.registered_domain
    return domain or host


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def bucket_of(url: str, buckets: int = FETCH_BUCKETS) -> int:
    """The fetch bucket of `url` (a URL without a host, such as a bad one, is bucket 0)."""
    host = host_of(url)
    if not host:
        return 0
    digest = hashlib.blake2b(registrable_domain(host).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % buckets
