"""The command line points at the fix: typos get a 'did you mean', a wrong folder a clear refusal."""

from __future__ import annotations

from builder.cli import main


def test_a_mistyped_command_gets_a_suggestion(capsys):
    assert main(["rnu", "configs/demo.yaml"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'rnu'. Did you mean 'loom run'?" in err
    assert main(["zzzz"]) == 2
    assert "Did you mean" not in capsys.readouterr().err  # nothing close: just the list of commands


def test_mistyped_config_keys_get_suggestions_at_every_level(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("sources: [{type: warc, pathz: [a.warc.gz]}]\nfilter: {}\n"
                      "images: {fetch: {contact_ur: 'https://x.example/bot'}}\nshards: {keep_reject: true}\n")
    assert main(["config", "check", str(config)]) == 2
    err = capsys.readouterr().err
    assert "filter: unknown key. Did you mean 'filters'?" in err
    assert "sources.0.warc.pathz: unknown key. Did you mean 'paths'?" in err  # inside a source of that type
    assert "images.fetch.contact_ur: unknown key. Did you mean 'contact_url'?" in err
    assert "shards.keep_reject: unknown key. Did you mean 'keep_rejects'?" in err


def test_inspect_refuses_a_folder_that_is_not_a_loom_output(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("my own files")
    assert main(["inspect", str(tmp_path), "--port", "0"]) == 2
    assert "is not a loom output" in capsys.readouterr().err
