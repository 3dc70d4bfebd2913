"""Reusable test helpers (loopback HTTP servers with hostile endpoints)."""
