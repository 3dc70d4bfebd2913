"""The `loom` command line: a thin dispatcher; each subcommand lives in builder/commands/."""

from __future__ import annotations

import argparse
import importlib
import sys

from builder import __version__

# Subcommand name -> module in builder.commands. Each module defines
# `add_arguments(parser)` and `run(args) -> int`, and `HELP` (one line).
COMMANDS = {
    "run": "run",
    "extract": "extract",
    "config": "config",
    "inspect": "inspect",
    "validate": "validate",
    "export": "export",
}

EXIT_CONFIG_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loom", description=__doc__)
    parser.add_argument("--version", action="version", version=f"loom {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"builder.commands.{module_name}")
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from builder.config import ConfigError

    try:
        return int(args._run(args) or 0)
    except ConfigError as exc:
        print(f"loom: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    except KeyboardInterrupt:
        print("loom: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
