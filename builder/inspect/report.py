"""`report.html`: the dashboard as one self-contained file (inline CSS and SVG, no script).

`loom run` calls `write_report` at the end of a run; `loom inspect OUT --report` rewrites it.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from builder.inspect.corpus_index import KEPT, REJECTS, CorpusIndex
from builder.inspect.gallery import gallery
from builder.inspect.render import render_dashboard
from builder.inspect.summary import summarize

REPORT_NAME = "report.html"
EXAMPLES = 6  # example documents shown in the report, spread over the corpus
REJECT_EXAMPLES = 3


def render_report(out_dir: str | Path, examples: int = EXAMPLES, rejects: int = REJECT_EXAMPLES) -> str:
    """The report page of an output folder, as a string, with a few example documents."""
    index = CorpusIndex.build(out_dir)
    summary = summarize(index)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return render_dashboard(summary, report=True, generated=generated,
                            examples=gallery(index, KEPT, examples),
                            reject_examples=gallery(index, REJECTS, rejects))


def write_report(out_dir: Path) -> Path:
    """Write ``out_dir/report.html`` (atomically) and return its path."""
    out = Path(out_dir)
    page = render_report(out)
    path = out / REPORT_NAME
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
