"""`loom extract FILE... [--url URL | --urls MAP.tsv] [--out DIR]`."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from builder.cli import main

PROSE = "A paragraph of plain prose that reads like an article, with commas, clauses, and enough words."
PAGE = f"<html><head><title>T</title></head><body><p>{PROSE}</p><img src='img/a.jpg'></body></html>"


def write(path: Path, text: str = PAGE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_one_file_prints_the_document_json(tmp_path, capsys):
    page = write(tmp_path / "page.html")
    assert main(["extract", str(page), "--url", "https://example.org/dir/page.html"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["url"] == "https://example.org/dir/page.html"
    assert data["texts"] == [PROSE, None]
    assert data["images"] == [None, "https://example.org/dir/img/a.jpg"]
    assert data["metadata"]["title"] == "T"


def test_without_url_the_file_uri_is_used(tmp_path, capsys):
    page = write(tmp_path / "page.html")
    assert main(["extract", str(page)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["url"] == page.resolve().as_uri()
    assert data["images"][1] == (tmp_path / "img" / "a.jpg").resolve().as_uri()


def test_many_files_with_a_url_map_and_gz(tmp_path):
    a = write(tmp_path / "in" / "a.html")
    b = write(tmp_path / "in" / "b.html.gz")
    c = write(tmp_path / "in" / "c.htm")
    urls = tmp_path / "urls.tsv"
    urls.write_text(f"{a}\thttps://a.example/x/\n{b}\thttps://b.example/y/z.html\n")
    out = tmp_path / "out"
    assert main(["extract", str(a), str(b), str(c), "--urls", str(urls), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "b.json", "c.json"]
    assert json.loads((out / "a.json").read_text())["images"][1] == "https://a.example/x/img/a.jpg"
    assert json.loads((out / "b.json").read_text())["images"][1] == "https://b.example/y/img/a.jpg"
    assert json.loads((out / "c.json").read_text())["url"] == c.resolve().as_uri()


def test_a_bad_file_is_reported_and_the_others_still_processed(tmp_path, capsys):
    good = write(tmp_path / "good.html")
    missing = tmp_path / "missing.html"
    empty = write(tmp_path / "empty.html", "<html><body></body></html>")
    broken_gz = tmp_path / "broken.html.gz"
    broken_gz.write_bytes(b"\x1f\x8b\x08\x00not gzip at all")
    out = tmp_path / "out"
    code = main(["extract", str(missing), str(empty), str(broken_gz), str(good), "--out", str(out)])
    assert code != 0
    err = capsys.readouterr().err
    for bad in (missing, empty, broken_gz):
        assert str(bad) in err
    assert [p.name for p in out.iterdir()] == ["good.json"]


def test_several_files_without_out_is_an_error(tmp_path, capsys):
    a, b = write(tmp_path / "a.html"), write(tmp_path / "b.html")
    assert main(["extract", str(a), str(b)]) == 2
    assert "--out" in capsys.readouterr().err


def test_the_installed_command(tmp_path):
    page = write(tmp_path / "page.html")
    loom = Path(sys.executable).parent / "loom"
    cmd = [str(loom)] if loom.exists() else [sys.executable, "-m", "builder.cli"]
    result = subprocess.run([*cmd, "extract", str(page), "--url", "http://fakehost/test/page.html"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["images"][1] == "http://fakehost/test/img/a.jpg"
