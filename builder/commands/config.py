"""`loom config reference` / `loom config check CONFIG`."""

from __future__ import annotations

import argparse

import yaml

HELP = "print the config reference, or check a config file and print it as understood"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("reference", help="print every config key with its type and default (Markdown)")
    check = sub.add_parser("check", help="validate a config file; print it with all defaults filled in")
    check.add_argument("config")


def run(args: argparse.Namespace) -> int:
    if args.action == "reference":
        from builder.config_reference import reference_markdown

        print(reference_markdown(), end="")
        return 0
    from builder.config import load_config
    from builder.config_inputs import check_inputs
    from filters.checks.perplexity import check_model_files

    config = load_config(args.config)
    check_inputs(config, args.config)  # no sources, a path that matches nothing: exit 2
    check_model_files(config.filters)  # files a run needs must exist (loom downloads none)
    print(yaml.safe_dump(config.to_public_dict(), sort_keys=False), end="")
    return 0
