"""`loom card OUT`: write the dataset card (README.md) of an existing output again."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "write the dataset card README.md of an output folder again (after rethreshold, say)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT", help="output folder of `loom run` or `loom rethreshold`")


def run(args: argparse.Namespace) -> int:
    from builder.card import write_card

    print(f"loom: dataset card written to {write_card(args.out)}")
    return 0
