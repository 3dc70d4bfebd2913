"""loom: build OBELICS-style interleaved image-text corpora."""

__version__ = "0.1.0"
