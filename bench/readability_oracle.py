"""Mozilla Readability.js as a reference extractor for bench/extract_reference.py (a dev tool).

Set a's gold (`expected.html` of the readability test pages) is Readability.js's own output, so
running the library over other real pages gives image gold for them. Node and the pinned npm
packages (bench/readability_ref) are needed; they are installed with `npm ci` when missing.
Results are cached under ~/.cache/loom/readability_ref, keyed by sha256(page bytes + URL) and
the library version.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

REF_DIR = Path(__file__).resolve().parent / "readability_ref"
SCRIPT = REF_DIR / "article.mjs"
CACHE = Path.home() / ".cache" / "loom" / "readability_ref"


class OracleUnavailable(RuntimeError):
    """node/npm missing, or the npm install failed."""


def ensure_installed() -> str:
    """Install the pinned packages when node_modules is missing; return the library version."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        raise OracleUnavailable("node is not on PATH: the reference bench needs Node.js (>= 18) and npm")
    if not (REF_DIR / "node_modules" / "@mozilla" / "readability").is_dir():
        if npm is None:
            raise OracleUnavailable("npm is not on PATH: cannot install bench/readability_ref")
        print(f"installing {REF_DIR.name} (npm ci) ...", file=sys.stderr)
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefix", str(REF_DIR)],
                              capture_output=True, text=True)
        if done.returncode:
            raise OracleUnavailable(f"npm ci failed:\n{done.stderr[-2000:]}")
    out = subprocess.run([node, str(SCRIPT), "--version"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["readability"]


def _key(html: str, url: str, version: str) -> str:
    digest = hashlib.sha256(html.encode("utf-8", "surrogatepass") + b"\0" + url.encode()).hexdigest()
    return f"{digest}-{version}"


def run(pages: Iterable[tuple[str, str, str]], version: str) -> Iterator[tuple[str, dict]]:
    """(id, decoded html, url) -> (id, {"content": html or None, "images": [...]}), cache first."""
    CACHE.mkdir(parents=True, exist_ok=True)
    todo: list[tuple[str, str, Path]] = []
    for pid, html, url in pages:
        path = CACHE / f"{_key(html, url, version)}.json"
        if path.is_file():
            yield pid, json.loads(path.read_text(encoding="utf-8"))
        else:
            todo.append((pid, json.dumps({"id": pid, "html": html, "url": url}), path))
    if not todo:
        return
    proc = subprocess.Popen(["node", str(SCRIPT), "--batch"], cwd=REF_DIR, text=True, encoding="utf-8",
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for pid, request, path in todo:  # one at a time: a page's answer comes before the next request
            proc.stdin.write(request + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                raise OracleUnavailable(f"node exited while reading {pid}")
            result = json.loads(line)
            if "error" not in result:
                path.write_text(line, encoding="utf-8")
            yield pid, result
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
