"""A user-supplied opt-out list: URL prefixes and domains that must never be fetched.

File format: one entry a line; ``#`` starts a comment. A line with a scheme
(``https://example.org/gallery/``) is a URL prefix. Any other line is a domain
(``example.org`` or ``*.example.org``): it matches that host and all its subdomains. A
domain followed by a path (``example.org/private/``) is a prefix under both http and https.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit


def _normalise_url(url: str) -> str:
    parts = urlsplit(url.strip())
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


class OptOutList:
    def __init__(self, entries: list[str] | None = None) -> None:
        self.domains: set[str] = set()
        self.prefixes: list[str] = []
        for entry in entries or []:
            self.add(entry)

    @classmethod
    def from_file(cls, path: str | Path) -> OptOutList:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        return cls([line.split("#", 1)[0].strip() for line in lines])

    def add(self, entry: str) -> None:
        entry = entry.strip()
        if not entry:
            return
        if "://" in entry:
            self.prefixes.append(_normalise_url(entry))
        elif "/" in entry:
            self.prefixes.append(_normalise_url("http://" + entry))
            self.prefixes.append(_normalise_url("https://" + entry))
        else:
            self.domains.add(entry.lower().lstrip("*.").rstrip("."))

    def __len__(self) -> int:
        return len(self.domains) + len(self.prefixes)

    def matches(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").rstrip(".")
        labels = host.split(".")
        # example.org matches a.b.example.org: check every suffix of the host.
        if any(".".join(labels[i:]) in self.domains for i in range(len(labels))):
            return True
        if self.prefixes:
            normal = _normalise_url(url)
            return any(normal.startswith(p) for p in self.prefixes)
        return False
