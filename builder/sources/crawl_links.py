"""Links a crawler may follow from a page, and the URL form it remembers them by."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

# Links to files that are never HTML: skipped without a request (politeness and budget).
BINARY_SUFFIXES = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp", ".tif", ".tiff",
    ".pdf", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".exe", ".dmg", ".iso",
    ".mp3", ".mp4", ".m4a", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".ogg", ".wav", ".flac",
    ".css", ".js", ".json", ".xml", ".rss", ".woff", ".woff2", ".ttf", ".doc", ".docx", ".xls",
    ".xlsx", ".ppt", ".pptx", ".apk", ".bin",
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_url(url: str) -> str | None:
    """Lower-case scheme and host, no default port, no fragment, "/" for an empty path; None if not http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def in_scope(url: str, site_host: str, scope: str) -> bool:
    """`scope` "host": the same host; "domain": the host or one of its subdomains."""
    host = host_of(url)
    return host == site_host or (scope == "domain" and host.endswith("." + site_host))


def looks_binary(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(BINARY_SUFFIXES)


def _robots_meta_nofollow(tree: LexborHTMLParser, token: str) -> bool:
    for meta in tree.css("meta[name][content]"):
        name = (meta.attributes.get("name") or "").strip().lower()
        if name in ("robots", token.lower()):
            directives = {d.strip().lower() for d in (meta.attributes.get("content") or "").split(",")}
            if directives & {"nofollow", "none"}:
                return True
    return False


def page_links(body: bytes | str, page_url: str, *, follow_nofollow: bool = False,
               robots_token: str = "loombot") -> tuple[list[str], int]:
    """(normalised http(s) links of the page in document order without repeats, nofollow links skipped).

    Relative links resolve against ``<base href>`` when present. A page whose meta robots say
    ``nofollow`` gives no links (unless `follow_nofollow`).
    """
    tree = LexborHTMLParser(body if isinstance(body, str) else body.decode("utf-8", "replace"))
    if not follow_nofollow and _robots_meta_nofollow(tree, robots_token):
        return [], 0
    base = page_url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        href = (base_node.attributes.get("href") or "").strip()
        if href:
            base = urljoin(page_url, href)
    links: list[str] = []
    seen: set[str] = set()
    skipped = 0
    for anchor in tree.css("a[href], area[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        rel = (anchor.attributes.get("rel") or "").lower().split()
        if "nofollow" in rel and not follow_nofollow:
            skipped += 1
            continue
        url = normalise_url(urljoin(base, href))
        if url is not None and url not in seen:
            seen.add(url)
            links.append(url)
    return links, skipped
