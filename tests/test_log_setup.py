"""warcio's warnings reach logging (not raw stderr, where they cut through the progress bar)."""

from __future__ import annotations

import io
import logging
import sys

from warcio.archiveiterator import ArchiveIterator

from builder import log_setup


def warc_with_a_wrong_content_length() -> bytes:
    """Two uncompressed records; the first says it is 5 bytes shorter than it is (a real warcio warning)."""
    def record(uri: str, payload: bytes, declared: int) -> bytes:
        head = (f"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: {uri}\r\n"
                f"WARC-Record-ID: <urn:uuid:{uri[-1] * 8}-0000-0000-0000-000000000000>\r\n"
                f"WARC-Date: 2026-01-01T00:00:00Z\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {declared}\r\n\r\n").encode()
        return head + payload + b"\r\n\r\n"
    return record("http://a.example/1", b"hello world", 6) + record("http://a.example/2", b"second", 6)


def test_warcio_warnings_become_log_records(caplog, capsys):
    saved = sys.stderr
    try:
        log_setup.install()
        log_setup.install()  # idempotent
        with caplog.at_level(logging.WARNING, logger=log_setup.WARCIO_LOGGER):
            records = list(ArchiveIterator(io.BytesIO(warc_with_a_wrong_content_length())))
        print("loom's own stderr line", file=sys.stderr)  # everything else passes through untouched
    finally:
        sys.stderr = saved
    assert len(records) == 2
    warnings = [r.getMessage() for r in caplog.records if r.name == log_setup.WARCIO_LOGGER]
    assert warnings and all(w.startswith("warcio: ") for w in warnings)
    err = capsys.readouterr().err
    assert "loom's own stderr line" in err
    assert err.count("Content-Length") == sum("Content-Length" in w for w in warnings)  # once, via logging
