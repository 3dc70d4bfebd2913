"""loom's exceptions: one root, `LoomError`, that carries the exit status the CLI returns.

The CLI catches `LoomError` in one place (`builder.cli.main`), prints its message and exits
with its `exit_code`; nothing else maps errors to statuses. Catch a subclass to handle one
kind of failure, or `LoomError` for any failure loom itself reports.

    2  the request cannot be carried out as given: a bad config, bad arguments, an output
       that is not loom's or is busy (nothing was written)
    1  the work ran and something failed: an input could not be read
"""

from __future__ import annotations

from typing import ClassVar

EXIT_FAILED = 1
EXIT_USAGE = 2


class LoomError(Exception):
    """Any failure loom reports; `exit_code` is the CLI's status for it."""

    exit_code: ClassVar[int] = EXIT_FAILED


class ConfigError(LoomError):
    """A config that cannot be used; the message names the file and the key."""

    exit_code = EXIT_USAGE


class UsageError(LoomError):
    """Command-line arguments that cannot be used together or point at nothing usable."""

    exit_code = EXIT_USAGE


class OutputError(LoomError):
    """An output location loom may not write to: not a loom output, or one of another config."""

    exit_code = EXIT_USAGE


class OutputBusy(OutputError):
    """Another loom run is writing to this output right now."""


class SourceError(LoomError):
    """An input that cannot be read at all; the message names the file (or URL) and the reason.

    Inside a run it fails that partition only (the others go on).
    """
