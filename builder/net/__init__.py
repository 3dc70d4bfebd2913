"""Generic HTTP fetching: polite (robots.txt, per-host limits), safe (SSRF guard, size and time limits).

    from builder.net import Fetcher, FetchConfig
    with Fetcher(FetchConfig(allow_networks=["127.0.0.0/8"])) as fetcher:
        result = fetcher.fetch("http://127.0.0.2:8000/a.jpg", kind="image")
        result.ok, result.status, result.body, result.error
"""

from __future__ import annotations

from builder.net.config import FetchConfig, RobotsConfig
from builder.net.fetcher import Fetcher
from builder.net.optout import OptOutList
from builder.net.result import FetchResult
from builder.net.ssrf import SsrfGuard

__all__ = ["FetchConfig", "FetchResult", "Fetcher", "OptOutList", "RobotsConfig", "SsrfGuard"]
