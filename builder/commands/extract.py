"""`loom extract`: turn HTML files into interleaved document JSON (the extractor alone, no pipeline)."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import zlib
from pathlib import Path

from builder.errors import UsageError

HELP = "extract HTML files into ordered text+image document JSON"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help=".html or .html.gz files")
    urls = parser.add_mutually_exclusive_group()
    urls.add_argument("--url", help="the page's URL (relative links resolve against it)")
    urls.add_argument("--urls", type=Path, metavar="MAP.tsv", help="lines of path<TAB>url")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write DIR/NAME.json per input file")


def _read_url_map(path: Path) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            file, url = line.split("\t", 1)
            mapping[str(Path(file).resolve())] = url.strip()
    return mapping


def _output_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".html", ".htm"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "page"


def run(args: argparse.Namespace) -> int:
    from builder.extract import ExtractRejected, extract_document

    url_map = _read_url_map(args.urls) if args.urls else {}
    if len(args.files) > 1 and args.url:
        print("loom extract: --url given for several files; every page gets that URL", file=sys.stderr)
    to_stdout = args.out is None and len(args.files) == 1
    if args.out is None and not to_stdout:
        raise UsageError("extract: several files need --out DIR")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    failures = 0
    warned = False
    for path in args.files:
        try:
            body = path.read_bytes()
            if path.name.lower().endswith(".gz"):
                body = gzip.decompress(body)
            url = args.url or url_map.get(str(path.resolve())) or path.resolve().as_uri()
            doc = extract_document(body, url)
        except (OSError, EOFError, zlib.error, ExtractRejected) as exc:
            print(f"loom extract: {path}: {exc}", file=sys.stderr)
            failures += 1
            continue
        except Exception as exc:  # a bug on one page must not lose the other files
            print(f"loom extract: {path}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
            failures += 1
            continue
        if not warned and any(node.src.startswith("file:") for node in doc.images):
            from builder.sources.html import NO_URL_WARNING

            print(f"loom extract: warning: {NO_URL_WARNING}", file=sys.stderr)  # once per command
            warned = True
        text = json.dumps(doc.to_dict(), ensure_ascii=False)
        if to_stdout:
            sys.stdout.write(text + "\n")
        else:
            (args.out / f"{_output_name(path)}.json").write_text(text, encoding="utf-8")
    return 1 if failures else 0
