"""The UT1-format domain blocklist: documents and images of blocked hosts are dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from builder.config import LoomConfig, load_config
from builder.context import RunContext
from builder.document import Document, ImageNode, TextNode
from builder.errors import ConfigError
from filters.blocklist import DomainBlocklist
from filters.config import FiltersConfig
from filters.stage import build_filter_stages


@pytest.fixture
def ut1(tmp_path: Path) -> Path:
    """A small list in UT1's layout: category folders with `domains` and `urls` files."""
    root = tmp_path / "blacklists"
    for category, domains, urls in (
        ("adult", ["badsite.example", "www.porn.example", "# a comment", ""], ["mixed.example/adult/"]),
        ("malware", ["evil.example"], []),
        ("sports", ["football.example"], []),  # not blocked by default
    ):
        (root / category).mkdir(parents=True)
        (root / category / "domains").write_text("\n".join(domains) + "\n")
        if urls:
            (root / category / "urls").write_text("\n".join(urls) + "\n")
    return root


def test_a_domain_blocks_its_subdomains_and_urls_block_prefixes(ut1: Path) -> None:
    bl = DomainBlocklist.load([ut1], ["adult", "malware"])
    assert bl.category_of("https://badsite.example/page") == "adult"
    assert bl.category_of("http://cdn.img.BadSite.example:8080/a.jpg") == "adult"
    assert bl.category_of("https://porn.example/") == "adult"  # www. in the list matches the bare host
    assert bl.category_of("https://notbadsite.example/") is None  # a suffix of the name is not a subdomain
    assert bl.category_of("https://evil.example.org/") is None
    assert bl.category_of("https://mixed.example/adult/page1") == "adult"
    assert bl.category_of("https://mixed.example/news/") is None
    assert bl.category_of("https://football.example/") is None  # category not read
    assert DomainBlocklist.load([ut1 / "sports"], []).category_of("https://www.football.example/x") == "sports"
    assert bl.category_of("not a url") is None


def run_before_fetch(config: FiltersConfig, docs: list[Document], base_dir: Path) -> tuple[list[Document], RunContext]:
    ctx = RunContext(config=LoomConfig(base_dir=str(base_dir)))
    before, _ = build_filter_stages(config)
    stream = iter(docs)
    for stage in before:
        stage.open(ctx)
        stream = stage(stream, ctx)
    return list(stream), ctx


PROSE = ("The museum opened a new wing this spring, and the curators spent the winter moving the "
         "paintings from the old galleries into the bright rooms that look over the river.")


def test_stage_drops_documents_and_images_with_reasons(ut1: Path) -> None:
    # In annotate mode too: the blocklist is a policy, not a score (docs/filters.md).
    config = FiltersConfig.model_validate({"action": "annotate", "blocklist": {"enabled": True,
                                                                              "paths": ["blacklists"]}})
    docs = [
        Document("a", "https://www.badsite.example/gallery", [TextNode(PROSE), ImageNode("https://x.org/1.jpg")]),
        Document("b", "https://museum.example/wing", [
            TextNode(PROSE), ImageNode("https://evil.example/2.jpg"),
            ImageNode("https://museum.example/3.jpg", candidates=["https://museum.example/3.jpg",
                                                                  "https://cdn.evil.example/3-big.jpg"])]),
    ]
    out, ctx = run_before_fetch(config, docs, ut1.parent)
    assert [d.id for d in out] == ["b"]
    assert ctx.stats.drops["doc.blocked_domain"] == 1 and ctx.stats.drops["image.in_dropped_doc"] == 1
    assert ctx.stats.drops["image.blocked_domain"] == 1
    assert [n.src for n in out[0].images] == ["https://museum.example/3.jpg"]
    assert out[0].images[0].candidates == ["https://museum.example/3.jpg"]  # blocked candidate removed
    assert docs[0].metadata["blocked_category"] == "adult"


def test_config_errors(tmp_path: Path, ut1: Path) -> None:
    with pytest.raises(ValueError, match="blocklist.paths"):
        FiltersConfig.model_validate({"blocklist": {"enabled": True}})
    config = FiltersConfig.model_validate({"blocklist": {"enabled": True, "paths": ["missing"]}})
    with pytest.raises(ConfigError, match="not a folder"):
        run_before_fetch(config, [], tmp_path)
    config = FiltersConfig.model_validate({"blocklist": {"enabled": True, "paths": ["blacklists"],
                                                         "categories": ["gambling"]}})
    with pytest.raises(ConfigError, match="none of the categories"):
        run_before_fetch(config, [], ut1.parent)


def test_a_run_drops_blocked_pages(tmp_path: Path, ut1: Path, repo_dir: Path) -> None:
    """End to end on the demo site: blocking its domain leaves nothing, counted by reason."""
    from builder.cli import main

    (ut1 / "malware" / "domains").write_text("loom.example\n")  # the demo pages live on demo.loom.example
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({
        "sources": [{"type": "warc", "paths": [str(repo_dir / "configs/demo/site.warc.gz")]}],
        "filters": {"blocklist": {"enabled": True, "paths": [str(ut1)]}}, "validate": {"enabled": False},
        "card": {"enabled": False}}))
    assert load_config(config).filters.blocklist.enabled
    out = tmp_path / "out"
    main(["run", str(config), "--out", str(out), "--quiet"])
    import json

    stats = json.loads((out / "stats.json").read_text())
    assert stats["drops"]["doc.blocked_domain"] == stats["balance"]["doc"]["in"] > 0
    assert stats["balance"]["doc"]["out"] == 0
