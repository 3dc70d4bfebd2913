"""Bytes → text for HTML pages: BOM, valid UTF-8, HTTP charset, <meta charset>, then detection.

Never raises on bytes: every path ends in a decode with ``errors="replace"``.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,500}?charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
# Labels browsers treat as another encoding (WHATWG Encoding Standard).
_ALIASES = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "us-ascii": "cp1252", "ascii": "cp1252", "l1": "cp1252", "iso_8859-1": "cp1252",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "tis-620": "cp874", "iso-8859-11": "cp874",
    "iso-8859-9": "cp1254", "utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8",  # a meta can't say UTF-16
    "x-mac-roman": "mac-roman", "unicode-1-1-utf-8": "utf-8", "utf8": "utf-8",
}
_DETECT_BYTES = 64 * 1024  # charset-normalizer is slow: look at the start only


def normalise_label(label: str | bytes | None) -> str | None:
    """A Python codec name for an encoding label, or None when Python does not know it."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HEADER_CHARSET.search(content_type)
    return normalise_label(m.group(1)) if m else None


def charset_from_meta(body: bytes) -> str | None:
    m = _META_CHARSET.search(body[:16384])
    return normalise_label(m.group(1)) if m else None


def _bom(body: bytes) -> tuple[str, int] | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    return None


MOSTLY_UTF8 = 8  # valid multi-byte characters per invalid byte at which a page is UTF-8 with a few errors


def _declared_or_detected(body: bytes, content_type: str | None) -> str:
    declared = charset_from_content_type(content_type) or charset_from_meta(body)
    if declared and declared != "utf-8":
        return declared
    if _mostly_utf8(body):
        return "utf-8"
    return _detect(body) or declared or "cp1252"


def _mostly_utf8(body: bytes) -> bool:
    """UTF-8 with a stray byte or two (a latin-1 character pasted into a UTF-8 page): browsers
    decode it as UTF-8 with a replacement character, where a detector's guess for the whole page
    garbles every other character. Valid multi-byte sequences almost never happen by chance in
    a single-byte encoding, so many of them against few errors settle it."""
    text = body.decode("utf-8", "replace")
    errors = text.count("\ufffd")
    multibyte = len(text) - len(text.encode("ascii", "ignore")) - errors  # (non-ASCII, counted in C)
    return errors > 0 and multibyte >= MOSTLY_UTF8 * errors


def sniff_encoding(body: bytes, content_type: str | None = None) -> str:
    """The codec to decode `body` with, in order: BOM, valid UTF-8, HTTP header, meta, detection."""
    bom = _bom(body)
    if bom:
        return bom[0]
    try:
        # Valid multi-byte UTF-8 almost never happens by chance: it beats a (often wrong) declaration.
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return _declared_or_detected(body, content_type)


def _detect(body: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body[:_DETECT_BYTES]).best()
    except Exception:  # the detector is a heuristic: its failure only means "no opinion"
        return None
    return normalise_label(best.encoding) if best is not None else None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML page's bytes to text (as `sniff_encoding` says); never raises."""
    return decode_html_source(body, content_type)[0]


def decode_html_source(body: bytes, content_type: str | None = None) -> tuple[str, bytes | None]:
    """`decode_html`, and `body` itself when it is the text's exact UTF-8 (most pages): the parser
    and byte searches can use it as it is instead of encoding the text again."""
    bom = _bom(body)
    if bom:
        return body[bom[1] :].decode(bom[0], "replace"), None
    try:
        return body.decode("utf-8"), body  # one pass: validates and decodes
    except UnicodeDecodeError:
        pass
    try:
        return body.decode(_declared_or_detected(body, content_type), "replace"), None
    except LookupError:
        return body.decode("cp1252", "replace"), None
