"""`loom export parquet`: shards → Parquet with OBELICS's columns and the image bytes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from builder.errors import UsageError

HELP = "export shards to other formats (parquet: OBELICS columns + image bytes)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("format", choices=["parquet"], help="output format")
    parser.add_argument("shards_dir", type=Path, metavar="SHARDS_DIR", help="output folder of `loom run`")
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="folder for the exported files")
    parser.add_argument("--rows-per-group", type=int, default=256, help="Parquet row group size (256)")


def run(args: argparse.Namespace) -> int:
    from builder.export.parquet import export_parquet

    if not args.shards_dir.exists():
        raise UsageError(f"export: {args.shards_dir} does not exist")
    result = export_parquet(args.shards_dir, args.out_dir, args.rows_per_group)
    print(f"exported {result.rows} document(s), {result.images} image(s) to {len(result.files)} "
          f"Parquet file(s) in {args.out_dir}")
    for reason, n in result.skipped.items():
        print(f"skipped {n}: {reason}", file=sys.stderr)
    return 1 if result.skipped else 0
