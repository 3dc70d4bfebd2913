"""One error root: every exception loom defines is a `LoomError`, and the CLI turns it into its exit status."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

from builder.cli import main
from builder.errors import ConfigError, LoomError, OutputBusy, OutputError, SourceError, UsageError
from tests.support.architecture import modules, parse

REPO = Path(__file__).resolve().parent.parent


def _builtin_exception(node: ast.expr) -> bool:
    value = getattr(builtins, node.id, None) if isinstance(node, ast.Name) else None
    return isinstance(value, type) and issubclass(value, BaseException)


def _roots_outside_loom_error() -> list[str]:
    """Public exception classes whose only bases are Python's own exceptions (read from the source)."""
    found = []
    for name, path in modules(REPO).items():
        for node in parse(path).body:
            if (isinstance(node, ast.ClassDef) and not node.name.startswith("_") and node.bases
                    and all(_builtin_exception(b) for b in node.bases)):
                found.append(f"{name}.{node.name}")
    found.remove("builder.errors.LoomError")  # the root itself
    return found


def test_every_exception_of_the_packages_derives_from_loom_error():
    assert _roots_outside_loom_error() == []


def test_exit_codes_follow_the_kind_of_failure():
    assert ConfigError.exit_code == UsageError.exit_code == OutputError.exit_code == 2
    assert issubclass(OutputBusy, OutputError) and not issubclass(OutputBusy, ConfigError)
    assert SourceError.exit_code == LoomError.exit_code == 1


def test_the_cli_returns_the_error_s_exit_code(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text(f"sources: [{{type: html, paths: [{tmp_path}]}}]\n")
    (tmp_path / "page.html").write_text("<p>hello</p>")
    not_loom = tmp_path / "mine"
    not_loom.mkdir()
    (not_loom / "notes.txt").write_text("keep me")
    assert main(["run", str(config), "--out", str(not_loom)]) == 2  # an OutputError
    assert "not a loom output" in capsys.readouterr().err
    assert (not_loom / "notes.txt").read_text() == "keep me"
