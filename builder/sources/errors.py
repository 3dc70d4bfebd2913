"""Errors a source raises for input it cannot read at all (the run goes on with other partitions)."""


class SourceError(Exception):
    """An input that cannot be read. The message names the file (or URL) and the reason."""
