"""Settings of loom's HTTP client: one section shared by every use, and the fetching layer's additions.

`HttpClientConfig` holds what every HTTP use shares (identity, allow-list, timeouts, retries)
and validates it once; `FetchConfig` (images, crawls) and `RemoteConfig` (remote archives
and tables, `builder.sources.config`) extend it with their own defaults and settings.
"""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator, model_validator

from builder.config_base import Section
from builder.net.user_agent import (
    DEFAULT_CONTACT_URL,
    DEFAULT_ROBOTS_TOKEN,
    build_user_agent,
    check_contact,
    check_names_token,
    check_printable,
    check_user_agent,
)


class RobotsConfig(Section):
    obey: bool = True  # read robots.txt once per host and honour it
    cache_ttl_s: float = 3600.0  # how long a fetched robots.txt stays valid
    error_ttl_s: float = 600.0  # 5xx / unreachable: the host counts as disallowed this long
    max_bytes: int = 512_000  # RFC 9309: at least 500 KiB must be parsed; the rest is ignored
    max_crawl_delay_s: float = 30.0  # a larger Crawl-delay is capped here (and logged in stats)


# Statuses worth asking again (with backoff): too many requests, and the server's passing failures.
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class HttpClientConfig(Section):
    """How loom talks HTTP: who it says it is, what it may reach, how long it waits, how often it retries.

    One section, validated here, for every use: image fetching (`images.fetch`), crawling
    (`sources[].fetch`) and reading remote archives and tables (`sources[].remote`). Each use
    subclasses it with the defaults that suit it (a remote archive read waits longer and
    retries more than an image fetch).
    """

    # Who we are. The User-Agent must name loom and never impersonate a browser or a search engine.
    robots_token: str = DEFAULT_ROBOTS_TOKEN  # product token matched in robots.txt and X-Robots-Tag
    contact_url: str = DEFAULT_CONTACT_URL  # where a site owner learns what the bot does / opts out
    user_agent: str | None = None  # full override; default "<token>/<version> (+<contact_url>)"

    # SSRF guard: private, loopback, link-local, multicast and reserved addresses are refused
    # unless a network here allows them (tests use ["127.0.0.0/8"]; a mirror on the local
    # network, e.g. ["10.0.0.0/8"]). Public addresses are always allowed.
    allow_networks: list[str] = Field(default_factory=list)  # internal networks that may be contacted (CIDR)

    # Timeouts: connect and per-read, plus a hard deadline for one request (headers + body).
    connect_timeout_s: float = 5.0  # to open a connection
    read_timeout_s: float = 10.0  # between two reads
    total_timeout_s: float = 30.0  # hard deadline for one request (headers and body)

    # Retries on 429, 5xx, timeouts and connection errors, with exponential backoff and jitter.
    retries: int = Field(2, ge=0)  # extra attempts per request
    backoff_base_s: float = Field(0.5, ge=0)  # first wait before a retry (doubles each time)
    backoff_max_s: float = Field(20.0, ge=0)  # longest wait before a retry
    max_retry_after_s: float = Field(60.0, ge=0)  # a longer Retry-After gives up instead of waiting

    @field_validator("allow_networks")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for net in value:
            ipaddress.ip_network(net, strict=False)  # raises ValueError with a clear message
        return value

    @field_validator("user_agent")
    @classmethod
    def _honest_user_agent(cls, value: str | None) -> str | None:
        if value is not None:
            check_user_agent(value)
            check_contact(value)
        return value

    @field_validator("contact_url")
    @classmethod
    def _contact(cls, value: str) -> str:
        check_printable(value, "contact_url")
        check_contact(value)
        return value

    @model_validator(mode="after")
    def _agent_names_token(self) -> HttpClientConfig:
        if self.user_agent is not None:
            check_names_token(self.user_agent, self.robots_token)
        return self

    @field_validator("robots_token")
    @classmethod
    def _honest_token(cls, value: str) -> str:
        check_user_agent(value)
        if not value or any(c.isspace() or c in "/;:," for c in value):
            raise ValueError("robots_token must be a single product token like 'loombot'")
        return value

    # A validator, not Field(gt=0): it still holds where a subclass gives the field another default.
    # The last three are `FetchConfig`'s.
    @field_validator("connect_timeout_s", "read_timeout_s", "total_timeout_s", "max_bytes", "max_concurrency",
                     "per_host_concurrency", check_fields=False)
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be > 0")
        return value

    def agent(self) -> str:
        """The User-Agent header this config sends."""
        return build_user_agent(self.robots_token, self.contact_url, self.user_agent)


class FetchConfig(HttpClientConfig):
    """Fetching pages and images from the web: limits, politeness, robots.txt and opt-outs on top."""

    max_bytes: int = 20 * 1024 * 1024  # decompressed body limit, enforced while streaming
    max_redirects: int = 5

    # Concurrency and politeness.
    max_concurrency: int = 64  # requests in flight over all hosts
    per_host_concurrency: int = 8  # requests in flight to one host
    per_host_delay_s: float = 0.05  # minimum gap between request starts to one host
    max_host_wait_s: float = 60.0  # a request that would wait longer for its host slot is dropped

    dns_cache_ttl_s: float = 60.0

    robots: RobotsConfig = Field(default_factory=RobotsConfig)
    # A file of URL prefixes (lines with a scheme) and domains (other lines) never to fetch.
    optout_file: str | None = None
