"""An honest User-Agent: names loom and a contact URL; refuses to pose as a browser or search engine."""

from __future__ import annotations

import re

from builder import __version__

DEFAULT_ROBOTS_TOKEN = "loombot"
DEFAULT_CONTACT_URL = "https://github.com/loom-corpus/loom/blob/main/docs/images.md"

# Tokens that would make a site treat us as something we are not.
_IMPERSONATION = re.compile(
    r"mozilla|applewebkit|chrome|chromium|safari|firefox|gecko|msie|trident|edg/|opera|opr/|"
    r"googlebot|google-extended|bingbot|bingpreview|slurp|duckduckbot|baiduspider|yandex|applebot|"
    r"facebookexternalhit|twitterbot|ccbot|gptbot",
    re.IGNORECASE,
)


# Generic HTTP clients: a site owner could not tell this bot from any script using the same library.
_GENERIC_CLIENT = re.compile(
    r"\b(curl|wget|python-requests|python-urllib|python-httpx|aiohttp|go-http-client|okhttp|libwww-perl|"
    r"java|scrapy|node-fetch|axios|httpie|postmanruntime)/",
    re.IGNORECASE,
)


def check_printable(value: str, what: str = "user agent") -> None:
    """Raise ValueError unless `value` is printable ASCII (no CR/LF: a header line cannot be split)."""
    bad = next((c for c in value if not (" " <= c <= "~")), None)
    if bad is not None:
        raise ValueError(f"{what} {value!r} contains {bad!r}: only printable ASCII is allowed in a header")


def check_names_token(agent: str, token: str) -> None:
    """Raise ValueError unless `agent` carries `token`, the product token robots.txt rules are matched against."""
    if not re.search(rf"(^|[\s(;,]){re.escape(token)}(/|[\s;),]|$)", agent, re.IGNORECASE):
        raise ValueError(f"user agent {agent!r} must name the robots.txt product token {token!r} "
                         f"(e.g. '{token}/1.0 (+https://you.example/bot)'), so that site rules for it apply")


def check_user_agent(value: str) -> None:
    """Raise ValueError when `value` impersonates a browser, another crawler or a generic HTTP client,
    or is not printable ASCII."""
    check_printable(value)
    generic = _GENERIC_CLIENT.search(value)
    if generic:
        raise ValueError(f"user agent {value!r} contains {generic.group(0)!r}: name loom's bot, not a generic "
                         "HTTP client")
    match = _IMPERSONATION.search(value)
    if match:
        raise ValueError(
            f"user agent {value!r} contains {match.group(0)!r}: loom never impersonates a browser, "
            "a search engine or another crawler"
        )


def check_contact(value: str) -> None:
    """Raise ValueError unless `value` carries a contact URL a site owner can follow."""
    if not re.search(r"https?://\S+", value):
        raise ValueError(f"user agent {value!r} must include a contact URL (http:// or https://)")


def build_user_agent(token: str, contact_url: str, override: str | None = None) -> str:
    """The User-Agent header: the override as given, else ``token/version (+contact_url)``."""
    agent = override or f"{token}/{__version__} (+{contact_url})"
    check_user_agent(agent)
    check_contact(agent)
    check_names_token(agent, token)
    return agent
