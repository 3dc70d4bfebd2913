"""Reading archives and tables named by URL: http(s) streams and byte ranges, or fsspec.

http(s) goes through the fetching layer's guarded transport (`builder.net`): the SSRF guard
pins every connection to a checked address, the User-Agent is loom's honest one, proxies from
the environment are ignored. A stream is read as it arrives, never downloaded first, and
resumes with a ``Range`` request where a long download breaks. Other URLs (``s3://``,
``gs://``, ``memory://`` ...) are opened with fsspec; plain paths with `open`.

robots.txt is not consulted here: these are published datasets the user named, not pages
crawled on the user's behalf (the `crawl` source obeys robots.txt).
"""

from __future__ import annotations

import io
import logging
import random
import time
from contextlib import contextmanager
from typing import BinaryIO, Iterator
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import HTTPError as Urllib3Error

from builder.errors import SourceError
from builder.net.config import RETRY_STATUS
from builder.net.deadline import within
from builder.net.fetcher import parse_retry_after
from builder.net.sessions import GuardedSessions
from builder.net.ssrf import DnsError, SsrfBlocked, SsrfGuard
from builder.net.transport import GuardedAdapter, RequestHandle
from builder.net.watchdog import Watchdog
from builder.sources.config import RemoteConfig

log = logging.getLogger(__name__)

# A server that ignores Range: the record is cut out of a plain GET when it sits this near the start.
MAX_RANGE_FALLBACK_BYTES = 64 << 20
_CHUNK = 1 << 20


class RemoteError(SourceError):
    """A remote input that cannot be read; `reason` is a short counter name (``http_404``, ...)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def is_http(location: str) -> bool:
    return location.lower().startswith(("http://", "https://"))


def is_remote(location: str) -> bool:
    """A URL other than ``file://`` (which is a local path)."""
    scheme = location.split("://", 1)[0].lower() if "://" in location else ""
    return bool(scheme) and scheme != "file"


def local_path(location: str) -> str:
    return location[len("file://"):] if location.lower().startswith("file://") else location


def url_name(location: str) -> str:
    """The last path segment of a URL or path (for labels and partition ids)."""
    path = urlsplit(location).path if "://" in location else location
    return path.rstrip("/").rsplit("/", 1)[-1] or location


class RemoteReader:
    """Opens streams and reads byte ranges of local paths, http(s) URLs and fsspec URLs.

    Thread-safe: `read_range` is called from a thread pool (one session per thread, one
    connection pool per host shared by all of them).
    """

    def __init__(self, config: RemoteConfig | None = None) -> None:
        self.config = config or RemoteConfig()
        self.user_agent = self.config.agent()
        adapter = GuardedAdapter(SsrfGuard(self.config.allow_networks), pool_connections=64,
                                 pool_maxsize=self.config.threads, max_retries=0)
        # identity: byte ranges are offsets into the stored bytes, never into a re-encoded body
        self._sessions = GuardedSessions(adapter, {"User-Agent": self.user_agent, "Accept-Encoding": "identity"})
        self.watchdog = Watchdog()  # cuts a request (or one read of a stream) at total_timeout_s

    def close(self) -> None:
        self._sessions.close()
        self.watchdog.close()

    def __enter__(self) -> RemoteReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- http ---------------------------------------------------------------------------------

    def get(self, url: str, start: int = 0, end: int | None = None,
            handle: RequestHandle | None = None) -> requests.Response:
        """A streamed GET of bytes [start, end) (the whole resource from `start` when end is None).

        Retries 429/5xx and connection failures with exponential backoff (honouring
        Retry-After); raises `RemoteError` for anything else that is not a 200 or 206. The
        response's socket is recorded in `handle`, so a later read can be cut by a deadline.
        """
        cfg = self.config
        headers = {}
        if start or end is not None:
            headers["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        reason = "connection_error"
        for attempt in range(cfg.retries + 1):
            wait = min(cfg.backoff_max_s, cfg.backoff_base_s * 2**attempt) * (0.5 + random.random())
            attempt_handle = RequestHandle()
            try:
                with within(self.watchdog, cfg.total_timeout_s, attempt_handle):
                    response = self._sessions.get().get(
                        url, headers=headers, stream=True, allow_redirects=True,
                        timeout=(cfg.connect_timeout_s, cfg.read_timeout_s))
                if attempt_handle.aborted:  # headers dripped past the deadline: not retried
                    response.close()
                    raise RemoteError(f"{url}: no answer within {cfg.total_timeout_s:g} s", "timeout")
            except SsrfBlocked:
                raise RemoteError(f"{url}: refused: the host resolves to an internal address "
                                  "(allow it with remote.allow_networks)", "ssrf_blocked") from None
            except DnsError:
                raise RemoteError(f"{url}: the host name does not resolve", "dns_error") from None
            except requests.RequestException as exc:
                if attempt_handle.aborted:
                    raise RemoteError(f"{url}: no answer within {cfg.total_timeout_s:g} s", "timeout") from None
                if isinstance(exc.__context__, SsrfBlocked) or "resolves only to refused" in str(exc):
                    raise RemoteError(f"{url}: refused by the SSRF guard (see remote.allow_networks)",
                                      "ssrf_blocked") from None
                reason = "timeout" if isinstance(exc, requests.Timeout) else "connection_error"
                log.info("%s: %s (attempt %d)", url, exc, attempt + 1)
            else:
                if response.status_code in (200, 206):
                    if handle is not None:
                        for sock in attempt_handle.socks:
                            handle.attach(sock)
                    return response
                reason = f"http_{response.status_code}"
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                response.close()
                if response.status_code == 416:
                    raise RemoteError(f"{url}: range {headers.get('Range')} is past the end", reason)
                if response.status_code not in RETRY_STATUS:
                    raise RemoteError(f"{url}: HTTP {response.status_code}", reason)
                if retry_after is not None:
                    if retry_after > cfg.max_retry_after_s:
                        break
                    wait = max(wait, retry_after)
            if attempt < cfg.retries:
                time.sleep(wait)
        raise RemoteError(f"{url}: {reason} after {cfg.retries + 1} attempts", reason)

    # -- public API ---------------------------------------------------------------------------

    @contextmanager
    def open(self, location: str) -> Iterator[BinaryIO]:
        """A buffered binary stream of the whole file at `location`."""
        if is_http(location):
            stream = io.BufferedReader(HttpStream(self, location), _CHUNK)
        elif is_remote(location):
            stream = _fsspec_open(location, self.config.storage_options)
        else:
            try:
                stream = open(local_path(location), "rb")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise RemoteError(f"{location}: cannot open: {exc.strerror or exc}", "unreadable") from None
        try:
            yield stream
        finally:
            stream.close()

    def open_seekable(self, location: str) -> BinaryIO:
        """A seekable binary file (for Parquet): http(s) is read by byte ranges as it is sought."""
        if is_http(location):
            return io.BufferedReader(RangeFile(self, location, self.size(location)), _CHUNK)
        if is_remote(location):
            return _fsspec_open(location, self.config.storage_options)
        try:
            return open(local_path(location), "rb")  # noqa: SIM115 - the caller closes it
        except OSError as exc:
            raise RemoteError(f"{location}: cannot open: {exc.strerror or exc}", "unreadable") from None

    def size(self, url: str) -> int:
        """The size of an http(s) resource, from a one-byte range request."""
        response = self.get(url, 0, 1)
        try:
            total = response.headers.get("content-range", "").rpartition("/")[2]
            if response.status_code == 206 and total.isdigit():
                return int(total)
            length = response.headers.get("content-length", "")
            if response.status_code == 200 and length.isdigit():
                return int(length)
        finally:
            response.close()
        raise RemoteError(f"{url}: the server does not say how large the file is", "no_range_support")

    def read_range(self, location: str, offset: int, length: int) -> bytes:
        """Bytes [offset, offset + length) of `location`; raises RemoteError (a short read included)."""
        if length <= 0 or offset < 0:
            raise RemoteError(f"{location}: bad range offset={offset} length={length}", "bad_pointer")
        if is_http(location):
            data = self._http_range(location, offset, length)
        elif is_remote(location):
            data = _fsspec_range(location, offset, length, self.config.storage_options)
        else:
            try:
                with open(local_path(location), "rb") as fh:
                    fh.seek(offset)
                    data = fh.read(length)
            except OSError as exc:
                raise RemoteError(f"{location}: cannot read: {exc.strerror or exc}", "unreadable") from None
        if len(data) != length:
            raise RemoteError(f"{location}: range at {offset} has {len(data)} of {length} bytes", "short_read")
        return data

    def _http_range(self, url: str, offset: int, length: int) -> bytes:
        handle = RequestHandle()
        response = self.get(url, offset, offset + length, handle)
        with within(self.watchdog, self.config.total_timeout_s, handle):
            try:
                if response.status_code == 206:
                    data = _read_exactly(response, url, length, handle)
                elif offset + length > MAX_RANGE_FALLBACK_BYTES:
                    raise RemoteError(f"{url}: the server does not support byte ranges", "no_range_support")
                else:  # 200: the server ignored Range and sends the whole file; skip to the record
                    data = _read_exactly(response, url, offset + length, handle)[offset:]
            finally:
                response.close()
        if handle.aborted:
            raise RemoteError(f"{url}: range at {offset} not read within {self.config.total_timeout_s:g} s",
                              "timeout")
        return data


def _read_exactly(response: requests.Response, url: str, n: int, handle: RequestHandle) -> bytes:
    try:
        return response.raw.read(n, decode_content=True) or b""
    except (requests.RequestException, Urllib3Error, OSError) as exc:
        if handle.aborted:
            return b""  # the caller reports the deadline
        raise RemoteError(f"{url}: connection broken while reading: {exc}", "connection_error") from None


class HttpStream(io.RawIOBase):
    """A readable, forward-only view of a remote file that resumes with Range after a broken read."""

    def __init__(self, reader: RemoteReader, url: str) -> None:
        self.reader = reader
        self.url = url
        self.pos = 0
        self.size: int | None = None  # from Content-Length, when the server says
        self._response: requests.Response | None = None
        self._resumable = True
        self._failures = 0
        self._handle = RequestHandle()

    def readable(self) -> bool:
        return True

    def _connect(self) -> requests.Response:
        self._handle = RequestHandle()
        response = self.reader.get(self.url, self.pos, handle=self._handle)
        if self.pos and response.status_code != 206:
            response.close()
            raise RemoteError(f"{self.url}: broke at byte {self.pos} and the server cannot resume it",
                              "connection_error")
        if self.pos == 0:
            # A content-encoded body cannot be resumed by byte offset, and its length is not the file's.
            self._resumable = "content-encoding" not in response.headers
            length = response.headers.get("content-length", "")
            self.size = int(length) if length.isdigit() and self._resumable else None
        return response

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while True:
            if self._response is None:
                self._response = self._connect()
            try:
                with within(self.reader.watchdog, self.reader.config.total_timeout_s, self._handle):
                    n = self._response.raw.readinto(buffer) if not self._encoded() else self._decoded_into(buffer)
            except (requests.RequestException, Urllib3Error, OSError) as exc:
                n, error = -1, exc
            else:
                error = None
            if self._handle.aborted:  # a drip: resuming would only repeat it
                self._response.close()
                self._response = None
                raise RemoteError(f"{self.url}: read at byte {self.pos} took longer than "
                                  f"{self.reader.config.total_timeout_s:g} s", "timeout")
            if error is None and n == 0 and self.size is not None and self.pos < self.size and self._resumable:
                n, error = -1, EOFError(f"connection closed at byte {self.pos} of {self.size}")
            if n >= 0:
                self.pos += n
                return n
            self._response.close()
            self._response = None
            self._failures += 1
            if not self._resumable or self._failures > self.reader.config.retries:
                raise RemoteError(f"{self.url}: connection broken at byte {self.pos}: {error}", "connection_error")
            log.info("%s: %s; resuming at byte %d", self.url, error, self.pos)

    def _encoded(self) -> bool:
        return not self._resumable

    def _decoded_into(self, buffer) -> int:
        assert self._response is not None
        data = self._response.raw.read(len(buffer), decode_content=True)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = None
        super().close()


class RangeFile(io.RawIOBase):
    """A seekable, read-only view of an http(s) file: each read is a byte-range request."""

    def __init__(self, reader: RemoteReader, url: str, size: int) -> None:
        self.reader, self.url, self.size, self.pos = reader, url, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = min(len(buffer), self.size - self.pos)
        if n <= 0:
            return 0
        data = self.reader.read_range(self.url, self.pos, n)
        buffer[:n] = data
        self.pos += n
        return n


def _fsspec_open(location: str, storage_options: dict) -> BinaryIO:
    try:
        import fsspec
    except ImportError:  # pragma: no cover - fsspec comes with datasets
        raise RemoteError(f"{location}: reading this URL needs fsspec (pip install fsspec)", "unsupported") from None
    try:
        return fsspec.open(location, "rb", **storage_options).open()
    except (ImportError, ValueError) as exc:  # an unknown protocol or a missing backend (s3fs, gcsfs)
        raise RemoteError(f"{location}: cannot open: {exc}", "unsupported") from None
    except OSError as exc:
        raise RemoteError(f"{location}: cannot open: {exc}", "unreadable") from None


def _fsspec_range(location: str, offset: int, length: int, storage_options: dict) -> bytes:
    try:
        import fsspec

        fs, path = fsspec.core.url_to_fs(location, **storage_options)
        return fs.cat_file(path, start=offset, end=offset + length)
    except (ImportError, ValueError) as exc:
        raise RemoteError(f"{location}: cannot open: {exc}", "unsupported") from None
    except OSError as exc:
        raise RemoteError(f"{location}: cannot read: {exc}", "unreadable") from None


def expand_remote(patterns: list[str], storage_options: dict) -> list[str]:
    """fsspec URLs with glob characters expanded (http(s) URLs are taken as they are)."""
    out: list[str] = []
    for pattern in patterns:
        if is_http(pattern) or not any(c in pattern for c in "*?["):
            out.append(pattern)
            continue
        import fsspec

        fs, _ = fsspec.core.url_to_fs(pattern, **storage_options)
        protocol = pattern.split("://", 1)[0]
        out.extend(f"{protocol}://{p}" for p in sorted(fs.glob(pattern)))
    return out
