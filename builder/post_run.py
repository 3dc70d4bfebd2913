"""What happens after the shards are written: the dataset card, the report page, and validation when asked for."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from builder.config import LoomConfig
from builder.pipeline import RunSummary

log = logging.getLogger(__name__)


@dataclass
class AfterRun:
    status: int = 0  # 1 when validation failed
    skipped: list[str] = field(default_factory=list)  # why validation checks could not run


def after_run(config: LoomConfig, summary: RunSummary) -> AfterRun:
    """Write README.md and report.html; validate when the config asks. The exit status, and skips."""
    result = AfterRun()
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
        where = summary.out_dir / "validation" / "report.html"
        if not report.ok:
            print(f"loom: validation FAILED: {', '.join(report.failed_checks)} (see {where})")
            for check in report.checks:
                if not check.ok and not check.skipped:
                    print(f"  {check.name}: {check.summary}")
            result.status = 1
        elif report.skipped_checks:
            result.skipped = report.skip_reasons
            print(f"loom: validation SKIPPED ({len(report.skipped_checks)} checks could not run): "
                  + "; ".join(result.skipped))
            print(f"  the integrity checks passed; not a failure of the shards (--strict: exit 1). See {where}")
        else:
            print("loom: validation passed")
    return result
