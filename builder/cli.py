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
    "rethreshold": "rethreshold",
    "card": "card",
}

def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that subcommand's module is imported (fast start-up)."""
    parser = argparse.ArgumentParser(
        prog="loom", description="Build OBELICS-style interleaved image-text corpora from web pages and WARC archives.")
    parser.add_argument("--version", action="version", version=f"loom {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"builder.commands.{module_name}")
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from builder import log_setup

    log_setup.install()  # warcio's warnings and loom's own go through logging, around the progress bar
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is not None and first not in COMMANDS and argv[0] == first:
        from builder.errors import EXIT_USAGE
        from builder.suggest import did_you_mean

        print(f"loom: unknown command '{first}'.{did_you_mean(first, COMMANDS, 'loom ')} "
              f"Commands: {', '.join(COMMANDS)} (loom --help)", file=sys.stderr)
        return EXIT_USAGE
    args = build_parser(first if first in COMMANDS else None).parse_args(argv)
    from builder.errors import LoomError

    try:
        return int(args._run(args) or 0)
    except LoomError as exc:  # the one place an error becomes an exit status (builder.errors)
        print(f"loom: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("loom: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
