from __future__ import annotations

import pytest

from builder.cli import main
from builder.config import ConfigError, load_config


def _write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_valid_config_resolves_paths_against_its_folder(tmp_path):
    cfg = load_config(_write(tmp_path, "sources:\n  - type: warc\n    paths: [data/a.warc.gz]\n"))
    assert cfg.resolve("data/a.warc.gz") == tmp_path / "data/a.warc.gz"
    assert cfg.sources[0].type == "warc"


def test_unknown_key_names_key_and_file(tmp_path):
    path = _write(tmp_path, "shards:\n  max_sampels: 10\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and "shards.max_sampels: unknown key" in str(err.value)


def test_wrong_type_names_key(tmp_path):
    with pytest.raises(ConfigError, match=r"shards.max_samples"):
        load_config(_write(tmp_path, "shards:\n  max_samples: lots\n"))


def test_unknown_source_type(tmp_path):
    with pytest.raises(ConfigError, match="sources.0"):
        load_config(_write(tmp_path, "sources:\n  - type: ftp\n    paths: [x]\n"))


def test_not_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(_write(tmp_path, "a: [unclosed\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_cli_exits_2_and_writes_nothing(tmp_path, capsys):
    path = _write(tmp_path, "sources:\n  - type: warc\n    paths: [x.warc]\n    colour: red\n")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    assert "sources.0.warc.colour: unknown key" in capsys.readouterr().err
    assert not out.exists()
