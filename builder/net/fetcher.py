"""`Fetcher`: polite, bounded, SSRF-safe HTTP GET for images and pages.

One call to `fetch(url)` runs, in order: opt-out list, robots.txt (cached per origin),
per-host slot (concurrency, minimum delay, Crawl-delay), the request on a guard-pinned
connection with connect/read timeouts and a total deadline, streaming with a body limit
on the decompressed bytes, retries with backoff on 429/5xx/timeouts, and redirects
followed one hop at a time so every hop passes the same checks. It never raises for a bad
URL or a bad server: the result carries a short reason instead.

`fetch` is synchronous and thread-safe: call it from a bounded thread pool.
"""

from __future__ import annotations

import email.utils
import random
import socket
import time
from typing import Callable, Mapping
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError

from builder.net.config import RETRY_STATUS, FetchConfig
from builder.net.deadline import within
from builder.net.optout import OptOutList
from builder.net.ratelimit import HostBusy, HostLimiter
from builder.net.result import FetchResult
from builder.net.robots import ALLOWED, RobotsCache, RobotsFetch
from builder.net.sessions import GuardedSessions
from builder.net.ssrf import DnsError, SsrfBlocked, SsrfGuard
from builder.net.transport import GuardedAdapter
from builder.net.watchdog import Watchdog

# Called with (status, headers) before the body is read; a returned reason aborts the fetch.
HeaderCheck = Callable[[int, Mapping[str, str], list[tuple[str, str]]], "str | None"]

ACCEPT = {
    "image": "image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8,*/*;q=0.5",
    "page": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "robots": "text/plain,*/*;q=0.5",
}
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RETRY_ERRORS = frozenset({"timeout", "connection_error"})
_CHUNK = 64 * 1024


def _is_timeout(exc: BaseException) -> bool:
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (socket.timeout, ReadTimeoutError, ConnectTimeoutError, requests.Timeout)):
            return True
        stack.extend([item.__cause__, item.__context__, *item.args, getattr(item, "reason", None)])
    return False


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


class Fetcher:
    def __init__(self, config: FetchConfig | None = None, optout: OptOutList | None = None) -> None:
        self.config = config or FetchConfig()
        cfg = self.config
        self.user_agent = cfg.agent()
        if optout is None and cfg.optout_file:
            optout = OptOutList.from_file(cfg.optout_file)
        self.optout = optout or OptOutList()
        self.guard = SsrfGuard(cfg.allow_networks, cfg.dns_cache_ttl_s)
        self.limiter = HostLimiter(cfg.max_concurrency, cfg.per_host_concurrency)
        self.watchdog = Watchdog()
        self.robots = RobotsCache(cfg.robots, cfg.robots_token, self._fetch_robots)
        # Asked for a robots.txt URL before it is fetched: a RobotsFetch from an archive, or None.
        self.robots_archive: Callable[[str], RobotsFetch | None] | None = None
        # Called with every result `fetch` returns and every robots.txt fetched, with the kind
        # ("page", "image", "robots"), from the fetching thread (a crawl archives them).
        self.observer: Callable[[FetchResult, str], None] | None = None
        # One adapter (one set of connection pools, one per host) shared by every thread's session.
        adapter = GuardedAdapter(
            self.guard,
            pool_connections=1024,
            pool_maxsize=cfg.per_host_concurrency,
            max_retries=0,
        )
        self._sessions = GuardedSessions(adapter, {"User-Agent": self.user_agent})

    def close(self) -> None:
        self._sessions.close()
        self.watchdog.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API -------------------------------------------------------------------------

    def fetch(self, url: str, kind: str = "page", check_headers: HeaderCheck | None = None) -> FetchResult:
        """GET `url`; `kind` ("image" or "page") sets the Accept header."""
        started = time.monotonic()
        result = self._follow(url, kind, check_headers, obey_robots=self.config.robots.obey)
        result.elapsed_s = time.monotonic() - started
        if self.observer is not None:
            self.observer(result, kind)
        return result

    # -- internals --------------------------------------------------------------------------

    def _precheck(self, url: str, obey_robots: bool) -> str | None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return "bad_scheme"
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            return "bad_url"
        if not host:
            return "bad_url"
        if self.optout.matches(url):
            return "opted_out"
        try:
            self.guard.resolve(host, port or (443 if parts.scheme == "https" else 80))
        except SsrfBlocked:
            return "ssrf_blocked"
        except DnsError:
            return "dns_error"
        if obey_robots:
            verdict = self.robots.verdict(url)
            if verdict != ALLOWED:
                return verdict
        return None

    def _follow(
        self, url: str, kind: str, check_headers: HeaderCheck | None, obey_robots: bool
    ) -> FetchResult:
        current = url
        visited = {url}
        attempts = 0
        hops: list[FetchResult] = []  # redirect responses on the way, kept in `history`
        for _hop in range(self.config.max_redirects + 1):
            reason = self._precheck(current, obey_robots)
            if reason is not None:  # the redirects on the way stay in `history` (a crawl archives them)
                return FetchResult(url, final_url=current, error=reason, attempts=attempts, history=hops)
            result = self._with_retries(current, kind, check_headers, obey_robots)
            attempts += result.attempts
            result.url, result.attempts = url, attempts
            location = result.headers.get("location")
            if result.status in REDIRECTS and location and result.error is None:
                hops.append(result)
                current = urljoin(current, location.strip())
                if current in visited:
                    return FetchResult(url, final_url=current, error="redirect_loop", attempts=attempts)
                visited.add(current)
                continue
            if result.error is None and result.status is not None and result.status >= 300:
                result.error = f"http_{result.status}"
            result.history = hops
            return result
        return FetchResult(url, final_url=current, error="too_many_redirects", attempts=attempts)

    def _with_retries(
        self, url: str, kind: str, check_headers: HeaderCheck | None, obey_robots: bool
    ) -> FetchResult:
        cfg = self.config
        host = (urlsplit(url).hostname or "").lower()
        delay = cfg.per_host_delay_s
        if obey_robots:
            delay = max(delay, self.robots.crawl_delay(url))
        result = FetchResult(url)
        for attempt in range(cfg.retries + 1):
            try:
                self.limiter.acquire(host, delay, cfg.max_host_wait_s)
            except HostBusy:
                return FetchResult(url, final_url=url, error="host_busy", attempts=attempt)
            try:
                result = self._request_once(url, kind, check_headers)
            finally:
                self.limiter.release(host)
            result.attempts = attempt + 1
            # A request cut by the total deadline is not retried: a slow drip would only repeat.
            retryable = (result.error in RETRY_ERRORS and not result.deadline_hit) or (
                result.error is None and result.status in RETRY_STATUS
            )
            if not retryable or attempt == cfg.retries:
                break
            wait = min(cfg.backoff_max_s, cfg.backoff_base_s * 2**attempt) * (0.5 + random.random())
            retry_after = parse_retry_after(result.headers.get("retry-after"))
            if retry_after is not None:
                if retry_after > cfg.max_retry_after_s:
                    break
                self.limiter.defer(host, retry_after)  # the whole host waits, not just this request
                wait = max(wait, retry_after)
            time.sleep(wait)
        if result.error is None and result.status in RETRY_STATUS:
            result.error = f"http_{result.status}"
        return result

    def _request_once(self, url: str, kind: str, check_headers: HeaderCheck | None) -> FetchResult:
        cfg = self.config
        result = FetchResult(url, final_url=url)
        with within(self.watchdog, cfg.total_timeout_s) as handle:
            try:
                response = self._sessions.get().get(
                    url,
                    headers={"Accept": ACCEPT.get(kind, "*/*")},
                    stream=True,
                    allow_redirects=False,
                    timeout=(cfg.connect_timeout_s, cfg.read_timeout_s),
                )
                try:
                    self._read(response, result, check_headers)
                finally:
                    response.close()
            except SsrfBlocked:
                result.error = "ssrf_blocked"
            except DnsError:
                result.error = "dns_error"
            except (requests.RequestException, OSError) as exc:
                if handle.aborted or _is_timeout(exc):
                    result.error = "timeout"
                elif isinstance(exc, requests.exceptions.ContentDecodingError):
                    result.error = "content_encoding_error"
                else:
                    result.error = "connection_error"
        if handle.aborted:
            result.error = "timeout"  # the total deadline cut the request short
            result.deadline_hit = True
        if result.error is not None:
            result.body = b""
        return result

    def _read(self, response: requests.Response, result: FetchResult, check: HeaderCheck | None) -> None:
        result.status = response.status_code
        result.headers = {k.lower(): v for k, v in response.headers.items()}
        result.header_items = list(response.raw.headers.items())
        result.request_headers = list(response.request.headers.items())  # as sent (crawl WARCs)
        if response.status_code >= 300:
            return  # redirects and errors: the body is not needed
        if check is not None:
            reason = check(response.status_code, result.headers, result.header_items)
            if reason is not None:
                result.error = reason
                result.refused = True
                return
        limit = self.config.max_bytes
        length = result.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit and "content-encoding" not in result.headers:
            result.error = "too_large"
            return
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(_CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # counted on decompressed bytes: a gzip bomb stops here
                result.error = "too_large"
                return
        result.body = b"".join(chunks)  # one allocation of the final size, no regrowth

    def _fetch_robots(self, robots_url: str) -> RobotsFetch:
        if self.robots_archive is not None:  # re-reading an archive: its robots.txt, not the live one
            archived = self.robots_archive(robots_url)
            if archived is not None:
                return archived
        result = self._follow(robots_url, "robots", None, obey_robots=False)
        if self.observer is not None:
            self.observer(result, "robots")
        if result.error is None:
            return RobotsFetch(result.status, result.body)
        if result.error.startswith("http_"):
            return RobotsFetch(result.status)
        if result.error == "too_many_redirects":
            return RobotsFetch(404)  # RFC 9309: may be treated as unavailable, i.e. allow
        return RobotsFetch(None)  # unreachable: disallow for a while
