"""Domain blocklists in the UT1 format (Université Toulouse 1 Capitole's web blacklists).

A UT1 list is a folder of categories (``adult/``, ``malware/``, ``phishing/``, ...), each
holding a ``domains`` file (one domain a line) and a ``urls`` file (``host/path`` a line, no
scheme). A domain blocks itself and every subdomain (``example.com`` blocks
``cdn.example.com``, not ``badexample.com``); a URL entry blocks the URLs that start with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from builder.errors import ConfigError

LIST_FILES = ("domains", "urls")


def _lines(path: Path) -> Iterable[str]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip().lower()
            if line and not line.startswith("#"):
                yield line


def _host_of(url: str) -> str:
    try:
        host = urlsplit(url if "://" in url else "http://" + url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".")


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


@dataclass
class DomainBlocklist:
    """Blocked domains and URL prefixes, each with its category."""

    domains: dict[str, str] = field(default_factory=dict)  # domain -> category
    urls: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # host -> [(host/path prefix, category)]

    @classmethod
    def load(cls, paths: Iterable[Path], categories: list[str]) -> DomainBlocklist:
        """Read UT1 folders: a category folder itself, or a root holding category folders
        (then only `categories` are read; an empty list reads every category)."""
        blocklist = cls()
        for path in paths:
            if not path.is_dir():
                raise ConfigError(f"filters.blocklist.paths: {path} is not a folder (a UT1 list or one category)")
            if any((path / name).is_file() for name in LIST_FILES):
                blocklist.add_category(path, path.name)
                continue
            wanted = categories or sorted(p.name for p in path.iterdir() if p.is_dir())
            found = [c for c in wanted if (path / c).is_dir()]
            if not found:
                raise ConfigError(f"filters.blocklist.paths: {path} holds none of the categories {wanted}")
            for category in found:
                blocklist.add_category(path / category, category)
        return blocklist

    def add_category(self, folder: Path, category: str) -> None:
        if (folder / "domains").is_file():
            for line in _lines(folder / "domains"):
                self.domains.setdefault(_strip_www(line.split("/", 1)[0].rstrip(".")), category)
        if (folder / "urls").is_file():
            for line in _lines(folder / "urls"):
                entry = line.split("://", 1)[-1]
                host = _strip_www(_host_of(entry))
                if host:
                    path = entry.split("/", 1)[1] if "/" in entry else ""
                    self.urls.setdefault(host, []).append((path, category))

    def __len__(self) -> int:
        return len(self.domains) + sum(map(len, self.urls.values()))

    def category_of(self, url: str) -> str | None:
        """The category that blocks `url`, or None."""
        host = _strip_www(_host_of(url))
        if not host:
            return None
        labels = host.split(".")
        for i in range(len(labels)):  # the host, then each parent domain
            category = self.domains.get(".".join(labels[i:]))
            if category is not None:
                return category
        prefixes = self.urls.get(host)
        if prefixes:
            rest = url.split("://", 1)[-1]
            path = rest.split("/", 1)[1] if "/" in rest else ""
            for prefix, category in prefixes:
                if path.lower().startswith(prefix):
                    return category
        return None
