"""What happens after the shards are written: the dataset card, the report page, and validation when asked for."""

from __future__ import annotations

import logging

from builder.config import LoomConfig
from builder.pipeline import RunSummary

log = logging.getLogger(__name__)


def after_run(config: LoomConfig, summary: RunSummary) -> int:
    """Write README.md and report.html; validate when the config asks. Returns the exit status of the run."""
    status = 0
    if config.card.enabled:
        from builder.card import write_card

        print(f"loom: dataset card written to {write_card(summary.out_dir)}")
    try:
        from builder.inspect.report import write_report
    except ImportError:  # the report module is part of loom; only missing in a broken install
        log.warning("report module unavailable; report.html not written")
    else:
        path = write_report(summary.out_dir)
        print(f"loom: report written to {path}")
    if config.validate_.enabled:
        from builder.validate.run import validate_output

        report = validate_output(summary.out_dir, config.validate_)
        if not report.ok:
            print(f"loom: validation FAILED: {', '.join(report.failed_checks)}")
            status = 1
        else:
            print("loom: validation passed")
    return status
