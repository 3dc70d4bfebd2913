from __future__ import annotations

from builder.config import load_config
from builder.config_reference import reference_markdown


def test_docs_config_md_is_current(repo_dir):
    """docs/config.md is generated: regenerate with `loom config reference > docs/config.md`."""
    assert (repo_dir / "docs/config.md").read_text() == reference_markdown()


def test_reference_lists_every_section():
    text = reference_markdown()
    for section in ("## `extract`", "## `images`", "## `images.fetch`", "## `filters`", "## `dedup`",
                    "## `shards`", "## `executor`", "## `validate`", "## `sources[type=warc]`"):
        assert section in text


def test_bundled_configs_load(repo_dir):
    for path in (repo_dir / "configs").glob("*.yaml"):
        assert load_config(path).sources, path


def test_readme_config_example_is_valid(repo_dir):
    import yaml

    from builder.config import parse_config

    # The README's start configs are the files in configs/start/ (checked and run by test_start_configs).
    section = (repo_dir / "README.md").read_text().split("### Start from a config\n")[1].split("\n### ")[0]
    blocks = [b.split("```")[0] for b in section.split("```yaml\n")[1:]]
    shipped = {name: yaml.safe_load((repo_dir / "configs/start" / f"{name}.yaml").read_text())
               for name in ("cc-warc", "crawl", "cc-index")}
    assert [yaml.safe_load(b) for b in blocks] == list(shipped.values())
    for name, data in shipped.items():
        assert parse_config(data, name).sources
