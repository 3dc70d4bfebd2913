"""`loom rethreshold`: apply new filter thresholds to finished shards, from their stored scores."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from builder.errors import UsageError

HELP = "re-apply the quality filters with new thresholds to shards, reusing their stored scores"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shards", type=Path, metavar="SHARDS", help="output folder (or one .tar) of a run")
    parser.add_argument("--config", type=Path, required=True, metavar="CONFIG.yaml",
                        help="config whose `filters:` section holds the new thresholds")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the new shards")
    parser.add_argument("--prefix", default="rethreshold", help="shard file prefix (default: rethreshold)")
    parser.add_argument("--max-samples", type=int, default=1000, help="samples per shard (default: 1000)")


def run(args: argparse.Namespace) -> int:
    from builder.config import load_config
    from builder.context import RunContext
    from builder.output_guard import check_writable_folder
    from builder.shards.manifest import write_manifest
    from builder.shards.reader import read_documents
    from builder.shards.writer import ShardWriter
    from filters.rethreshold import rethreshold

    config = load_config(args.config)
    if args.out.resolve() == args.shards.resolve():
        raise UsageError("rethreshold: --out must differ from the input shards")
    check_writable_folder(args.out, "rethreshold", "--out")  # never into a folder of the user's own files
    ctx = RunContext(config=config)
    args.out.mkdir(parents=True, exist_ok=True)  # the writer creates it only once a shard is written
    with ShardWriter(args.out, args.prefix, max_samples=args.max_samples) as writer:
        for doc in rethreshold(read_documents(args.shards), config.filters, ctx):
            writer.write(doc)
    write_manifest(args.out, writer.shards, config.to_public_dict())
    stats = ctx.stats.to_dict()
    (args.out / "rethreshold_stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    balance = stats["balance"]
    print(f"documents: {balance['doc']['in']} in, {balance['doc']['out']} kept, "
          f"{balance['doc']['dropped']} dropped")
    for reason, n in sorted(stats["drops"].items(), key=lambda kv: -kv[1]):
        print(f"  {reason:<32} {n}")
    print(f"wrote {len(writer.shards)} shard(s) to {args.out}")
    if balance["doc"]["in"] and not balance["doc"]["out"]:
        print(f"loom rethreshold: WARNING: every document was dropped; {args.out} holds no shard")
    return 0
