"""Bad input on the command line: one clear line and the documented exit status, never a traceback,
and never a change to a file that was there before.

Each row of `ROWS` is: an id, a setup that writes the files the command meets (in a fresh
folder), the command line (``{d}`` is that folder), the expected exit status and a fragment
of the message. Every file under the folder is hashed before and after: a refused command
must leave all of them as they were (and an `--overwrite` that is refused deletes nothing).
"""

from __future__ import annotations

import hashlib
import runpy
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from builder.cli import main

REPO = Path(__file__).resolve().parents[2]

PAGE = ("<!doctype html><html><head><title>Lighthouses</title></head><body><article><h1>Lighthouses</h1>"
        + "<p>The keepers of the northern lighthouses wrote down the weather every hour, and their logs "
          "tell of storms, wrecks and long quiet winters spent mending lamps and reading by the stove.</p>" * 4
        + "</article></body></html>")


def user_files(d: Path) -> None:
    """A folder of the user's own things: what issue 18 saw deleted by `--overwrite`."""
    (d / "notes.txt").write_text("my notes\n")
    (d / "photos").mkdir()
    (d / "photos" / "cat.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a cat")
    (d / "backup.tar").write_bytes(b"\x00" * 1024)


def html_config(d: Path, extra: str = "") -> Path:
    (d / "page.html").write_text(PAGE)
    config = d / "run.yaml"
    config.write_text("sources:\n  - {type: html, paths: [page.html], url: 'https://example.org/a'}\n"
                      "filters: {enabled: false}\nimages: {enabled: false}\nvalidate: {enabled: false}\n" + extra)
    return config


@dataclass(frozen=True)
class Row:
    id: str
    setup: Callable[[Path], None]
    argv: list[str]
    exit_code: int
    fragment: str


def _overwrite_user_folder(d: Path) -> None:
    html_config(d)
    (d / "mine").mkdir()
    user_files(d / "mine")


def _out_is_file(d: Path) -> None:
    html_config(d)
    (d / "taken.txt").write_text("a file\n")


def _foreign_folder(d: Path) -> None:
    html_config(d)
    (d / "mine").mkdir()
    user_files(d / "mine")


def _write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def setup(d: Path) -> None:
        html_config(d)
        (d / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return setup


def _both(name: str, content: str | bytes, fragment: str) -> list[Row]:
    """The same bad config at `loom config check` and at `loom run` (which must write nothing)."""
    return [Row(f"config-check-{name}", _write(name, content), ["config", "check", f"{{d}}/{name}"], 2, fragment),
            Row(f"run-{name}", _write(name, content), ["run", f"{{d}}/{name}", "--out", "{d}/out", "--quiet"], 2,
                fragment)]


CRAWL = "sources:\n  - {type: crawl, seeds: %s}\n"
UA = "sources:\n  - {type: html, paths: [page.html]}\nimages: {fetch: {user_agent: %s}}\n"

ROWS = [
    *_both("binary.yaml", bytes(range(256)) * 4, "not a YAML config"),
    *_both("empty.yaml", "", "the config is empty"),
    *_both("no-sources.yaml", "sources: []\n", "lists no sources"),
    *_both("no-match.yaml", "sources:\n  - {type: html, paths: [nothing/*.html]}\n", "matches no file"),
    *_both("missing-seeds.yaml", CRAWL % "missing.txt", "cannot read the seed file"),
    *_both("bad-seeds.yaml", CRAWL % "page.html", "not an http(s) URL"),
    *_both("ua-crlf.yaml", UA % '"loombot/1 (+https://x.example)\\r\\nX-Evil: 1"', "only printable ASCII"),
    *_both("ua-curl.yaml", UA % '"curl/8.4 loombot (+https://x.example)"', "generic"),
    *_both("ua-requests.yaml", UA % '"python-requests/2.31 (+https://x.example)"', "generic"),
    *_both("ua-no-token.yaml", UA % '"mybot/1.0 (+https://x.example)"', "product token"),
    Row("overwrite-a-folder-that-is-not-a-loom-output", _overwrite_user_folder,
        ["run", "{d}/run.yaml", "--out", "{d}/mine", "--overwrite", "--quiet"], 2, "not a loom output"),
    Row("out-is-an-existing-file", _out_is_file,
        ["run", "{d}/run.yaml", "--out", "{d}/taken.txt", "--quiet"], 2, "is a file"),
    Row("out-is-an-existing-file-with-overwrite", _out_is_file,
        ["run", "{d}/run.yaml", "--out", "{d}/taken.txt", "--overwrite", "--quiet"], 2, "is a file"),
    Row("validate-writes-no-report-into-a-foreign-folder", _foreign_folder,
        ["validate", "{d}/mine", "--integrity-only"], 2, "not a loom output"),
    Row("rethreshold-out-is-a-foreign-folder", _foreign_folder,
        ["rethreshold", "{d}/mine", "--config", "{d}/run.yaml", "--out", "{d}/mine/photos"], 2,
        "not a loom output"),
    Row("rethreshold-out-is-a-file", _foreign_folder,
        ["rethreshold", "{d}/mine", "--config", "{d}/run.yaml", "--out", "{d}/mine/notes.txt"], 2, "is a file"),
]


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_bad_input_is_one_clear_line_and_touches_nothing(row: Row, tmp_path: Path, capsys) -> None:
    row.setup(tmp_path)
    before = snapshot(tmp_path)
    code, output = run_cli([a.replace("{d}", str(tmp_path)) for a in row.argv], capsys)
    assert code == row.exit_code, output
    assert row.fragment in output
    assert "Traceback" not in output
    assert snapshot(tmp_path) == before


def test_overwrite_replaces_a_loom_output_and_keeps_the_users_files(tmp_path: Path, capsys) -> None:
    config = html_config(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    user_files(out)  # the user later drops their own files into the output folder
    (out / "stray-00007.tar").write_bytes(b"left by an older run")  # a shard name: loom's
    mine = {k: v for k, v in snapshot(out).items() if k.startswith(("notes", "photos", "backup"))}
    code, output = run_cli(["run", str(config), "--out", str(out), "--overwrite", "--quiet"], capsys)
    assert code == 0, output
    after = snapshot(out)
    assert {k: v for k, v in after.items() if k.startswith(("notes", "photos", "backup"))} == mine
    assert "stray-00007.tar" not in after and "manifest.json" in after and "_loom/run.json" in after


def test_validate_reports_into_a_loom_output_or_report_dir(tmp_path: Path, capsys) -> None:
    config = html_config(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    assert main(["validate", str(out), "--integrity-only"]) == 0
    assert main(["validate", str(out), "--integrity-only"]) == 0  # again: validation/ is loom's own
    assert (out / "validation" / "report.json").is_file()
    (tmp_path / "mine").mkdir()
    user_files(tmp_path / "mine")
    reports = tmp_path / "reports"
    main(["validate", str(tmp_path / "mine"), "--integrity-only", "--report-dir", str(reports)])
    assert (reports / "report.json").is_file() and not (tmp_path / "mine" / "validation").exists()


def test_the_table_runs_as_a_user_would(tmp_path: Path) -> None:
    """One row through a real `loom` process: the exit status and stderr as a shell sees them."""
    _overwrite_user_folder(tmp_path)
    result = subprocess.run([sys.executable, "-m", "builder.cli", "run", str(tmp_path / "run.yaml"),
                             "--out", str(tmp_path / "mine"), "--overwrite", "--quiet"],
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 2 and "not a loom output" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (tmp_path / "mine" / "photos" / "cat.jpg").is_file()


def test_the_finetune_example_on_an_empty_folder_is_one_clear_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    example = runpy.run_path(str(REPO / "examples/finetune_idefics2.py"), run_name="finetune_example")
    assert example["main"]([str(tmp_path / "empty"), "--output-dir", str(tmp_path / "model")]) == 2
    err = capsys.readouterr().err
    assert "no shards found" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "model").exists()
