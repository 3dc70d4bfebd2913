"""Expand files, folders and glob patterns from the config into a sorted list of files."""

from __future__ import annotations

import glob
from fnmatch import fnmatch
from pathlib import Path
from typing import Callable, Iterable


def expand_paths(patterns: Iterable[str], resolve: Callable[[str], Path],
                 accept: Callable[[Path], bool], exclude: Iterable[str] = ()) -> tuple[list[Path], list[str]]:
    """Files matched by `patterns`, and the patterns that matched nothing (to report them).

    A folder is walked recursively for the files `accept` takes, skipping those whose name
    matches one of the `exclude` globs; a file named outright is always taken.
    """
    skip = tuple(exclude)
    found: set[Path] = set()
    unmatched: list[str] = []
    for pattern in patterns:
        base = resolve(pattern)
        hits = [Path(p) for p in glob.glob(str(base), recursive=True)] if glob.has_magic(str(base)) else [base]
        matched = False
        for hit in hits:
            if hit.is_dir():
                for child in hit.rglob("*"):
                    if child.is_file() and accept(child) and not any(fnmatch(child.name, g) for g in skip):
                        found.add(child)
                        matched = True
            elif hit.is_file():
                found.add(hit)
                matched = True
        if not matched:
            unmatched.append(pattern)
    return sorted(found), unmatched
