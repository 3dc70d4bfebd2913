"""Text decoding of page bytes: HTTP charset, BOM, <meta charset>, detection; never an exception."""

from __future__ import annotations

import codecs
import random

import pytest

from builder.extract.decode import decode_html, sniff_encoding

RUSSIAN = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 20
GERMAN = "Größere Äpfel schmecken süß, sagt der Bäcker aus Köln. " * 20


def test_utf8_bom_wins_and_is_stripped():
    body = codecs.BOM_UTF8 + "<p>héllo</p>".encode()
    assert decode_html(body, "text/html; charset=iso-8859-1") == "<p>héllo</p>"


def test_utf16_bom():
    body = codecs.BOM_UTF16_LE + "<p>Grüße</p>".encode("utf-16-le")
    assert decode_html(body) == "<p>Grüße</p>"


def test_http_header_charset():
    body = f"<html><body><p>{RUSSIAN}</p></body></html>".encode("cp1251")
    assert sniff_encoding(body, "text/html; charset=windows-1251") == "cp1251"
    assert RUSSIAN in decode_html(body, "text/html; charset=windows-1251")


def test_meta_charset_and_http_equiv():
    page = f'<html><head><meta charset="koi8-r"></head><body><p>{RUSSIAN}</p></body></html>'
    assert RUSSIAN in decode_html(page.encode("koi8-r"))
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
        "</head><body><p>日本語のテキストです。</p></body></html>"
    )
    assert "日本語のテキストです。" in decode_html(page.encode("cp932"))


def test_detection_without_any_declaration():
    body = f"<html><body><p>{RUSSIAN}</p></body></html>".encode("cp1251")
    assert RUSSIAN in decode_html(body)


def test_valid_utf8_beats_a_wrong_single_byte_declaration():
    body = f"<html><body><p>{GERMAN}</p></body></html>".encode()
    assert GERMAN in decode_html(body, "text/html; charset=iso-8859-1")


def test_wrongly_declared_utf8_falls_back_to_the_real_encoding():
    body = f'<html><head><meta charset="utf-8"></head><body><p>{GERMAN}</p></body></html>'.encode("cp1252")
    assert GERMAN in decode_html(body, "text/html; charset=utf-8")


def test_latin1_label_means_windows_1252():
    body = "<p>“quoted” – dash</p>".encode("cp1252")
    assert decode_html(body, "text/html; charset=ISO-8859-1") == "<p>“quoted” – dash</p>"


@pytest.mark.parametrize("label", ["x-unknown-charset", "utf-7\x00", "", "   ", "1234"])
def test_unknown_labels_are_ignored(label):
    assert "<p>Grüße</p>" in decode_html("<p>Grüße</p>".encode(), f"text/html; charset={label}")


def test_random_bytes_never_raise():
    rng = random.Random(7)
    for n in (0, 1, 3, 100, 5000):
        for _ in range(20):
            body = bytes(rng.randrange(256) for _ in range(n))
            assert isinstance(decode_html(body, "text/html; charset=utf-16"), str)
            assert isinstance(decode_html(body), str)
