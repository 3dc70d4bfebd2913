"""Personal data in text: e-mail addresses, public IP addresses and (optionally) phone numbers.

Each kind is found by a pattern and then checked, so that what is replaced is what it looks
like: an e-mail's domain ends in a letter TLD that is not a file extension
(``logo@2x.png`` is a file), and an address inside a URL's path or credentials is left alone;
an IP address parses (``ipaddress``), is public (``is_global``: not private, loopback,
link-local, reserved or documentation), is not one part of a longer dotted number
(``1.2.3.4.5``) and does not follow "v" or "version" (a version number). Phone numbers are a
heuristic: 9 to 15 digits, an optional ``+country`` prefix, the usual groupings; dates are not phones.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass

_EMAIL = re.compile(
    r"(?<![\w.%+/:@-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![\w@-]|\.[A-Za-z0-9])")
_MAILTO = re.compile(r"(?<=mailto:)[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}")
_FILE_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "tif", "tiff", "ico", "avif", "heic",
                        "pdf", "js", "css", "html", "htm", "php", "json", "xml", "txt", "zip", "gz", "mp4", "mp3"})
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])")
_VERSION_BEFORE = re.compile(r"(?:\bv|\bversion\s*|\bver\.?\s*|\brelease\s*)$", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,4}(?![\w:-])")
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")


def _public_ip(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return address.is_global


@dataclass(frozen=True)
class PiiScrubber:
    email: bool = True
    ip: bool = True
    phone: bool = False
    email_placeholder: str = "<EMAIL>"
    ip_placeholder: str = "<IP>"
    phone_placeholder: str = "<PHONE>"

    def scrub(self, text: str) -> tuple[str, Counter[str]]:
        """`text` with personal data replaced, and the replacements made, by kind."""
        counts: Counter[str] = Counter()
        if self.email and "@" in text:
            text = _EMAIL.sub(lambda m: self._email(m, counts), text)
            text = _MAILTO.sub(lambda m: self._count(m, counts, "email", self.email_placeholder), text)
        if self.ip and ("." in text or ":" in text):
            text = _IPV4.sub(lambda m: self._ip(m, counts), text)
            if "::" in text or text.count(":") >= 3:
                text = _IPV6.sub(lambda m: self._ip(m, counts), text)
        if self.phone:
            text = _PHONE.sub(lambda m: self._phone(m, counts), text)
        return text, counts

    def _count(self, match: re.Match[str], counts: Counter[str], kind: str, placeholder: str) -> str:
        counts[kind] += 1
        return placeholder

    def _email(self, match: re.Match[str], counts: Counter[str]) -> str:
        if match.group(1).lower() in _FILE_TLDS:
            return match.group(0)  # a file name such as logo@2x.png
        return self._count(match, counts, "email", self.email_placeholder)

    def _ip(self, match: re.Match[str], counts: Counter[str]) -> str:
        candidate = match.group(0)
        before = match.string[max(0, match.start() - 12):match.start()]
        if not _public_ip(candidate) or _VERSION_BEFORE.search(before):
            return candidate
        return self._count(match, counts, "ip", self.ip_placeholder)

    def _phone(self, match: re.Match[str], counts: Counter[str]) -> str:
        candidate = match.group(0)
        digits = sum(c.isdigit() for c in candidate)
        if not 9 <= digits <= 15 or _DATE.search(candidate) or re.fullmatch(r"[\d.]+", candidate):
            return candidate  # too short or long, holds a date, or a dotted number (IP, version)
        return self._count(match, counts, "phone", self.phone_placeholder)
