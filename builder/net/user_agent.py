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


def check_user_agent(value: str) -> None:
    """Raise ValueError when `value` impersonates a browser or another crawler."""
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
    return agent
