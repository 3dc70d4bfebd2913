"""Shared fixtures. Tests that need ../shared (real third-party material) skip without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("LOOM_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder (corpus, eval); skips the test where it is absent."""
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"real test material not found at {SHARED} (set LOOM_SHARED to its location)")
    return SHARED
