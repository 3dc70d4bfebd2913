"""`loom run CONFIG [--out DIR]`: build shards from the sources a config names."""

from __future__ import annotations

import argparse
import sys
import typing

from builder.config import LoomConfig, load_config
from builder.errors import ConfigError
from builder.executors.config import ExecutorConfig

# The executor types the config accepts (its `type` Literal): the CLI offers the same.
EXECUTOR_TYPES = typing.get_args(ExecutorConfig.model_fields["type"].annotation)

HELP = "run the pipeline of a config: sources → extract → images → filters → dedup → shards"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="YAML config file (see docs/config.md)")
    parser.add_argument("--out", help="output folder, or an fsspec URL such as s3://bucket/run "
                        "(default: the config's `output`)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the loom run in the output instead of resuming it (deletes only loom's files; "
                        "a folder that is not a loom output is refused)")
    parser.add_argument("--executor", choices=EXECUTOR_TYPES, help="override executor.type")
    parser.add_argument("--workers", type=int, help="override executor.workers")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a partition failed, the output is empty or kept under "
                        "shards.min_kept_share of the documents, validation could not run, or an input "
                        "archive was damaged (default: report it and exit 0)")


def _config_output(config: LoomConfig) -> str:
    """The config's `output`: a URL as it is, a path relative to the config file."""
    output = str(config.output)
    return output if "://" in output else str(config.resolve(output))


def run(args: argparse.Namespace) -> int:
    from builder.config_inputs import check_inputs

    config = load_config(args.config)
    check_inputs(config, args.config)  # no sources, a path that matches nothing: exit 2, nothing written
    from filters.checks.perplexity import check_model_files

    check_model_files(config.filters)  # before anything runs: a missing model is exit 2, not a failed partition
    if args.executor:
        config.executor.type = args.executor
    if args.workers is not None:
        config.executor.workers = args.workers
    out = args.out or (_config_output(config) if config.output else None)
    if not out:
        raise ConfigError(f"{args.config}: no output folder: set `output` in the config or pass --out")

    from builder.pipeline import run_pipeline
    from builder.progress import RunProgress
    from builder.summary import print_summary

    summary = run_pipeline(config, out, overwrite=args.overwrite,
                           progress=RunProgress(enabled=not args.quiet))
    from builder.outcome import print_alarms, run_alarms

    status, validation_skipped = 0, False
    if summary.is_local:
        from builder.post_run import after_run

        after = after_run(config, summary)
        status, validation_skipped = after.status, bool(after.skipped)
    else:  # the report and validation read a local folder
        print(f"loom: {summary.output} is not a local folder: no report.html, no validation")
    print_summary(summary, file=sys.stdout)
    alarms = run_alarms(summary.stats, summary.samples, config.shards.min_kept_share)
    print_alarms(alarms, summary.stats, sys.stdout, args.strict)
    if args.strict and (summary.failed or alarms or validation_skipped):
        return 1
    damaged = summary.stats.counts.get("archive.damaged", 0)
    if args.strict and damaged:  # records were lost to damage: a strict run is not a success
        print(f"loom: {damaged} damaged stretch(es) in the input archives (see stats.json errors); "
              "failing because of --strict", file=sys.stderr)
        return 1
    return status
