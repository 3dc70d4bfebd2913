"""Settings of each kind of input. A run lists one or more sources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from builder.config_base import Section
from builder.net.config import FetchConfig, HttpClientConfig


class WarcSourceConfig(Section):
    """WARC/ARC files, plain or gzip: files, folders or glob patterns."""

    type: Literal["warc"]
    paths: list[str] = Field(min_length=1)  # archives, folders of them, or glob patterns
    # http(s):// and fsspec URLs (s3://, ...) in `paths` are streamed, never downloaded first.
    remote: RemoteConfig = Field(default_factory=lambda: RemoteConfig())


# Not pages: reference outputs that test sets keep next to their pages (readability's
# `source.html` + `expected.html`), and hidden files.
HTML_COMPANION_FILES = ("expected.html", "expected-*.html", "expected_*.html", "*.expected.html", ".*")


class HtmlSourceConfig(Section):
    """Local `.html` / `.html.gz` files or folders of them.

    The page URL of each file comes from `urls` (a TSV of ``path<TAB>url``), else from
    `url` (one URL for every file), else ``file://`` + the absolute path.
    """

    type: Literal["html"]
    paths: list[str] = Field(min_length=1)  # files, folders or glob patterns
    url: str | None = None  # one page URL for every file
    urls: str | None = None  # TSV file of `path<TAB>url` lines
    files_per_partition: int = Field(200, ge=1)  # files per unit of work
    # file-name globs skipped when walking a folder (companion files of test sets, hidden files)
    exclude: list[str] = Field(default_factory=lambda: list(HTML_COMPANION_FILES))


class RemoteConfig(HttpClientConfig):
    """How archives and tables named by URL are read: http(s) streams and byte ranges, or fsspec.

    The HTTP settings are `HttpClientConfig`'s (validated the same way as `images.fetch`), with
    defaults for large published files: longer waits, more retries.
    """

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    # Hard limit for one byte-range request, and for each read (up to 1 MiB) of a streamed archive:
    # a server dripping a byte at a time never trips the per-read timeout.
    total_timeout_s: float = 300.0
    retries: int = Field(5, ge=0)  # per request, on 429 / 5xx / broken connections (with backoff)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(60.0, ge=0)
    max_retry_after_s: float = Field(300.0, ge=0)  # a longer Retry-After fails the request instead
    threads: int = Field(16, ge=1)  # byte-range requests in flight (cc_index)
    storage_options: dict[str, Any] = Field(default_factory=dict)  # passed to fsspec (s3://, gs://, ...)


class CcIndexSourceConfig(Section):
    """Common Crawl style pointers (file, offset, length) to WARC records, fetched as byte ranges.

    Each table (CSV/TSV, JSON lines or Parquet) has the columns ``warc_filename``,
    ``warc_record_offset``, ``warc_record_length`` (or the CDX names ``filename``, ``offset``,
    ``length``). ``warc_filename`` is joined to `prefix`: an http(s) URL, an fsspec URL or a folder.
    """

    type: Literal["cc_index"]
    paths: list[str] = Field(min_length=1)
    prefix: str = "https://data.commoncrawl.org/"
    rows_per_partition: int = Field(1000, ge=1)
    # Neighbouring rows (in table order) whose records lie in the same file at most this many
    # bytes apart are read with one request (a request costs far more than 64 KB of transfer).
    merge_gap_bytes: int | None = Field(64 * 1024, ge=0)  # null: one request per row
    max_merged_bytes: int = Field(8 * 1024 * 1024, ge=1)  # the largest merged request
    remote: RemoteConfig = Field(default_factory=RemoteConfig)


class ObelicsSourceConfig(Section):
    """OBELICS-format Parquet (`texts`, `images` as URLs, `metadata`, `general_metadata`).

    Rows become documents directly (no HTML to extract); the image stage fetches their images.
    """

    type: Literal["obelics"]
    # Parquet files, folders or glob patterns; http(s) URLs (read by byte ranges) and fsspec URLs
    # (hf://datasets/..., s3://...) are read without downloading the whole file.
    paths: list[str] = Field(min_length=1)
    rows_per_partition: int = Field(10_000, ge=1)
    remote: RemoteConfig = Field(default_factory=RemoteConfig)


class CrawlFetchConfig(FetchConfig):
    """The fetching layer's settings for page crawls: gentler per-host defaults than for images.

    A crawl asks one site for page after page, so by default it keeps at most two requests in
    flight per host and starts them at least a second apart (robots.txt Crawl-delay, when
    larger, wins). Images are spread over many hosts and use `FetchConfig`'s defaults.
    """

    per_host_concurrency: int = 2
    per_host_delay_s: float = 1.0
    # One site's pages queue for its slot (Crawl-delay up to 30 s x `threads` waiting): waiting is
    # normal for a crawl, not a reason to give a page up.
    max_host_wait_s: float = 900.0


class CrawlSourceConfig(Section):
    """Pages fetched live from seed URLs, optionally following links within each seed's site.

    Fetching goes through the same layer as images (`fetch`: robots.txt, opt-out list, SSRF
    guard, per-host politeness). Every response is archived as WARC so the crawl can be
    reprocessed with a `warc` source without fetching again.
    """

    type: Literal["crawl"]
    seeds: str | None = None  # a file of seed URLs, one a line (# comments)
    urls: list[str] = Field(default_factory=list)  # seed URLs given inline
    max_depth: int = Field(0, ge=0)  # links followed from a seed: 0 = the seeds only
    max_pages: int = Field(1000, ge=1)  # fetches per partition (one site is never split)
    seeds_per_partition: int = Field(100, ge=1)
    scope: Literal["host", "domain"] = "host"  # "domain": subdomains of the seed's host too
    follow_nofollow: bool = False  # follow rel=nofollow links and pages with meta robots nofollow
    max_page_bytes: int | None = None  # default: extract.max_page_bytes
    threads: int = Field(8, ge=1)  # page fetches in flight
    warc_dir: str | None = None  # where the WARCs go; default: <output>/crawl-warc
    archive: bool = True  # False: do not write WARCs
    fetch: CrawlFetchConfig = Field(default_factory=CrawlFetchConfig)

    @model_validator(mode="after")
    def _has_seeds(self) -> CrawlSourceConfig:
        if not self.seeds and not self.urls:
            raise ValueError("a crawl source needs `seeds` (a file of URLs) or `urls`")
        return self
