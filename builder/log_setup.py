"""Console logging that does not break the progress bar, and warcio's warnings brought into it.

warcio writes its warnings ("Content-Length Too Long", a broken gzip member) straight to
``sys.stderr``, in the middle of the progress bar. `install` routes what warcio's own modules
write there to the ``warcio`` logger, and sends console logging through ``tqdm.write``, which
clears the bar, prints the line and redraws the bar. Forked workers inherit both.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

WARCIO_LOGGER = "warcio"


class _WarcioToLogging:
    """A stand-in for ``sys.stderr``: writes made by warcio's modules become log records."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if not caller.startswith("warcio"):
            return self._stream.write(text)
        message = text.strip()
        if message:
            logging.getLogger(WARCIO_LOGGER).warning("warcio: %s", message)
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, ... of the real stream
        return getattr(self._stream, name)


class _ProgressBarHandler(logging.Handler):
    """Writes records to the current stderr through tqdm, so a running bar is redrawn below them."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # noqa: BLE001 - logging must never raise into the pipeline
            self.handleError(record)


def install() -> None:
    """Idempotent: route warcio's stderr writes to logging, and console logging through tqdm."""
    if not isinstance(sys.stderr, _WarcioToLogging):
        sys.stderr = _WarcioToLogging(sys.stderr)  # type: ignore[assignment]
    root = logging.getLogger()
    if not any(isinstance(h, _ProgressBarHandler) for h in root.handlers):
        handler = _ProgressBarHandler(logging.WARNING)
        handler.setFormatter(logging.Formatter("%(message)s"))  # as Python's default console output
        root.addHandler(handler)
