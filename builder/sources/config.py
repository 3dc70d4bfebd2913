"""Settings of each kind of input. A run lists one or more sources."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from builder.config_base import Section


class WarcSourceConfig(Section):
    """WARC/ARC files, plain or gzip: files, folders or glob patterns."""

    type: Literal["warc"]
    paths: list[str] = Field(min_length=1)  # archives, folders of them, or glob patterns


class HtmlSourceConfig(Section):
    """Local `.html` / `.html.gz` files or folders of them.

    The page URL of each file comes from `urls` (a TSV of ``path<TAB>url``), else from
    `url` (one URL for every file), else ``file://`` + the absolute path.
    """

    type: Literal["html"]
    paths: list[str] = Field(min_length=1)  # files, folders or glob patterns
    url: str | None = None  # one page URL for every file
    urls: str | None = None  # TSV file of `path<TAB>url` lines
    files_per_partition: int = Field(200, ge=1)  # files per unit of work
