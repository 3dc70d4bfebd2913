"""Inputs a config names must exist before anything runs: `loom config check` and `loom run` ask here.

A run whose only source path matches nothing used to exit 0 with an empty output; now it is
an error (exit 2, nothing written), as is a config with no sources or a seed file that cannot
be read. URLs are not checked here (that would need the network); the sources report them.
"""

from __future__ import annotations

from builder.config import LoomConfig
from builder.errors import ConfigError, SourceError
from builder.sources.files import expand_paths
from builder.sources.remote import is_remote


def check_inputs(config: LoomConfig, where: str) -> None:
    """Raise ConfigError (exit 2) naming the file and the source when an input cannot be found."""
    if not config.sources:
        raise ConfigError(f"{where}: the config lists no sources (add one under `sources:`)")
    for i, source in enumerate(config.sources):
        label = f"{where}: sources[{i}] ({source.type})"
        local = [p for p in getattr(source, "paths", None) or [] if not is_remote(p)]
        if local:
            _, unmatched = expand_paths(local, config.resolve, lambda _path: True)
            if unmatched:
                raise ConfigError(f"{label}: {unmatched[0]!r} matches no file (relative paths are "
                                  "relative to the config file)")
        seeds = getattr(source, "seeds", None)
        if seeds:
            from builder.sources.crawl import read_seeds

            try:
                read_seeds(config.resolve(seeds))
            except SourceError as exc:
                raise ConfigError(f"{label}: {exc}") from None
