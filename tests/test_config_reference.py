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

    block = (repo_dir / "README.md").read_text().split("### A config\n\n```yaml\n")[1].split("```")[0]
    config = parse_config(yaml.safe_load(block), "README.md")
    assert [s.type for s in config.sources] == ["warc", "crawl", "cc_index", "obelics"]
