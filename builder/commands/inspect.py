"""`loom inspect OUT_DIR`: browse an output folder in a local web viewer, or rewrite its report."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from builder.errors import UsageError

HELP = "browse an output folder (dashboard, documents, rejects) in a local read-only web viewer"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="output folder of `loom run`")
    parser.add_argument("--port", type=int, default=8000,
                        help="port to listen on; 0 picks a free one (default 8000)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--report", action="store_true",
                        help="(re)write OUT_DIR/report.html and exit instead of serving")
    parser.add_argument("--verbose", action="store_true", help="log every request")


def run(args: argparse.Namespace) -> int:
    out_dir: Path = args.out_dir
    if not out_dir.is_dir():
        raise UsageError(f"inspect: {out_dir}: not a folder")
    from builder.output_guard import is_loom_output

    if not is_loom_output(out_dir) and not any(out_dir.glob("*.tar")):  # an empty dashboard helps nobody
        raise UsageError(f"inspect: {out_dir} is not a loom output (no manifest.json, no _loom/run.json, no "
                         "shards): pass the folder `loom run` wrote (its --out, or the config's `output`)")
    if args.report:
        from builder.inspect.report import write_report

        print(f"wrote {write_report(out_dir)}")
        return 0
    from builder.inspect.server import InspectApp, make_server

    started = time.perf_counter()
    app = InspectApp(out_dir)
    s = app.summary
    print(f"indexed {s.documents:,} documents, {s.images:,} images, {s.rejects:,} rejects "
          f"in {time.perf_counter() - started:.1f}s", flush=True)
    for problem in s.problems:
        print(f"  warning: {problem}", file=sys.stderr)
    try:
        server = make_server(app, args.host, args.port, quiet=not args.verbose)
    except OSError as exc:
        app.close()
        print(f"loom inspect: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    if server.RequestHandlerClass.allowed_hosts is None:  # type: ignore[attr-defined]
        print(f"warning: listening on {host}, not loopback: anyone who can reach it can read this corpus",
              file=sys.stderr)
    shown = f"[{host}]" if ":" in str(host) else host
    print(f"serving {out_dir} at http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it like Ctrl-C: the text index is removed
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.close()  # removes the temporary text index
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
