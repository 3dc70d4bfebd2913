"""`loom validate`: prove an output folder's shards are intact, load into Idefics2, and train."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from builder.errors import EXIT_FAILED, UsageError

HELP = "check shards (integrity, Idefics2 processor, training steps, generation); exit 1 on failure"

# CLI flag -> ValidateConfig field; a flag left out keeps the config's (or the default) value.
_OVERRIDES = {"model": "model", "samples": "samples", "steps": "steps", "device": "device",
              "max_length": "max_length", "length_policy": "length_policy", "batch_size": "batch_size",
              "image_splitting": "image_splitting", "generate": "generate_samples", "seed": "seed",
              "report_dir": "report_dir", "lr": "learning_rate", "optimizer": "optimizer", "dtype": "dtype",
              "train_batches": "train_batches", "integrity_only": "integrity_only"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shards_dir", type=Path, metavar="SHARDS_DIR", help="output folder of `loom run`")
    parser.add_argument("--config", type=Path, help="take defaults from this run config's `validate:` section")
    parser.add_argument("--model", help="tiny (default: random tiny Idefics2, offline) | DIR | HUB_ID")
    parser.add_argument("--samples", type=int, help="documents sampled for the model checks (16)")
    parser.add_argument("--steps", type=int, help="optimiser steps of the training check (8; 0 skips)")
    parser.add_argument("--device", help="cpu | cuda | cuda:N (cpu)")
    parser.add_argument("--max-length", type=int, help="tokens per sequence, images included (1024)")
    parser.add_argument("--length-policy", choices=["split", "truncate", "drop", "fail"],
                        help="what to do with a longer document (split)")
    parser.add_argument("--batch-size", type=int, help="training batch size (2)")
    parser.add_argument("--train-batches", type=int,
                        help="distinct batches the steps cycle through (0: all; 1: overfit one batch)")
    parser.add_argument("--image-splitting", action=argparse.BooleanOptionalAction, default=None,
                        help="Idefics2 image splitting: 4 crops + the whole image (off)")
    parser.add_argument("--generate", type=int, help="samples to generate a continuation for (2)")
    parser.add_argument("--lr", type=float, help="learning rate of the training check (1e-3)")
    parser.add_argument("--optimizer", choices=["adamw", "sgd"], help="adamw (default) | sgd")
    parser.add_argument("--dtype", choices=["auto", "float32", "bfloat16", "float16"])
    parser.add_argument("--integrity-only", action="store_true", default=None,
                        help="only the integrity checks (no model; torch not needed)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--report-dir", help="where report.json/.html go (SHARDS_DIR/validation)")
    parser.add_argument("--json", action="store_true", help="print the JSON report instead of a summary")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 also when checks could not run (torch missing, no image members)")


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from builder.config import load_config
    from builder.errors import ConfigError, OutputError
    from builder.output_guard import is_loom_output
    from builder.validate.config import ValidateConfig
    from builder.validate.run import validate_output

    if not args.shards_dir.is_dir():
        raise UsageError(f"validate: {args.shards_dir} is not a folder")
    if not args.report_dir and not is_loom_output(args.shards_dir):  # never validation/ in a user's folder
        raise OutputError(f"validate: {args.shards_dir} is not a loom output (no _loom/run.json or loom "
                              "manifest.json), so validation/ is not written into it; pass --report-dir DIR")
    base = load_config(args.config).validate_ if args.config else ValidateConfig()
    overrides = {field: getattr(args, flag) for flag, field in _OVERRIDES.items()
                 if getattr(args, flag) is not None}
    try:
        config = ValidateConfig.model_validate({**base.model_dump(), **overrides})
    except ValidationError as exc:
        raise ConfigError("loom validate: " + "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
    report = validate_output(args.shards_dir, config)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        print("\n".join(report.summary_lines()))
        folder = Path(config.report_dir) if config.report_dir else args.shards_dir / "validation"
        print(f"report: {folder / 'report.html'}")
        if not report.ok:
            print(f"FAILED: {', '.join(report.failed_checks)}")
        elif report.skipped_checks:
            print(f"OK, but {len(report.skipped_checks)} checks SKIPPED: {'; '.join(report.skip_reasons)}")
        else:
            print("OK: all checks passed")
    if not report.ok or (args.strict and report.skipped_checks):
        return EXIT_FAILED
    return 0
