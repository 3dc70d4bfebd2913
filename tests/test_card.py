"""The dataset card (README.md) and the token counts: numbers taken from the run itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from builder.card import CardConfig, TokenCounter, count_document_tokens
from builder.card.render import size_category
from builder.cli import main
from builder.document import Document, ImageNode, TextNode


def card_header(out: Path) -> dict:
    text = (out / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory, repo_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("card")
    config = folder / "demo.yaml"
    config.write_text(yaml.safe_dump({
        "name": "card-demo", "sources": [{"type": "warc", "paths": [str(repo_dir / "configs/demo/site.warc.gz")]}],
        "shards": {"max_samples": 4}, "validate": {"enabled": False}}))
    out = folder / "out"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    return out


def test_every_run_writes_a_card_whose_numbers_are_the_runs(demo_out: Path) -> None:
    stats = json.loads((demo_out / "stats.json").read_text())
    manifest = json.loads((demo_out / "manifest.json").read_text())
    header = card_header(demo_out)
    figures = header["loom"]
    assert figures["documents"] == stats["balance"]["doc"]["out"] == manifest["samples"] == 6
    assert figures["images"] == stats["balance"]["image"]["out"]
    assert figures["text_tokens"] == stats["counts"]["tokens.text"] == manifest["tokens"]["text"] > 0
    assert figures["image_tokens"] == stats["counts"]["tokens.image"] == 64 * figures["images"]
    # The whitespace proxy here (no Idefics2 tokenizer on this machine), else Idefics2's, named.
    assert figures["tokenizer"] == manifest["tokens"]["tokenizer"] in ("whitespace", "HuggingFaceM4/idefics2-8b")
    assert header["license"] == "other" and "authors" in header["license_details"]
    assert header["language"] == ["en"] and header["size_categories"] == ["n<1K"]
    assert header["task_categories"] == ["image-text-to-text"]
    assert header["configs"][0]["data_files"][0]["path"] == "*.tar"
    body = (demo_out / "README.md").read_text(encoding="utf-8")
    for section in ("## Sources", "## Filter funnel", "## Languages", "## Domains (top 20", "## Images per document",
                    "## Opt-outs honoured", "## How to load", "loom export parquet", "wds.WebDataset"):
        assert section in body, section
    assert "| `image.noai` | 2 |" in body  # the demo's opted-out page, in the funnel
    assert "| X-Robots-Tag / meta robots `noai`, `noimageai` | yes | 2 |" in body
    assert "2026-11-01T12:00:00Z" in body  # crawl date from provenance
    # Per document: metadata.tokens, summing to the totals.
    from builder.shards.reader import read_documents

    docs = list(read_documents(demo_out))
    assert sum(d.metadata["tokens"]["text"] for d in docs) == figures["text_tokens"]
    assert all(d.metadata["tokens"]["image"] == 64 * len(d.images) for d in docs)
    report = (demo_out / "report.html").read_text(encoding="utf-8")  # the report shows them too
    assert 'id="card-text-tokens"' in report and f"{figures['image_tokens']:,}" in report


def test_loom_card_rewrites_the_card(demo_out: Path, tmp_path: Path, repo_dir: Path) -> None:
    before = (demo_out / "README.md").read_text(encoding="utf-8")
    (demo_out / "README.md").unlink()
    assert main(["card", str(demo_out)]) == 0
    assert (demo_out / "README.md").read_text(encoding="utf-8") == before
    # After a rethreshold that drops documents, the card of the new output says so.
    from builder.shards.reader import read_documents

    most = max(d.scores["words"] for d in read_documents(demo_out))  # keeps the longest document only
    config = tmp_path / "strict.yaml"
    config.write_text(yaml.safe_dump({"filters": {"document": {"words": {"min": int(most)}}}}))
    out = tmp_path / "re"
    assert main(["rethreshold", str(demo_out), "--config", str(config), "--out", str(out)]) == 0
    assert main(["card", str(out)]) == 0
    stats = json.loads((out / "rethreshold_stats.json").read_text())
    assert card_header(out)["loom"]["documents"] == stats["balance"]["doc"]["out"] < 6


def test_card_of_a_folder_that_is_no_output_is_an_error(tmp_path: Path) -> None:
    assert main(["card", str(tmp_path)]) == 2


def test_a_local_tokenizer_counts_tokens_and_is_named(tmp_path: Path) -> None:
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import models, pre_tokenizers, trainers

    tok = tokenizers.Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(["the museum opened a new wing", "paintings hang in the new wing"] * 20,
                            trainers.BpeTrainer(vocab_size=60, special_tokens=["<unk>"]))
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    counter = TokenCounter(CardConfig(tokenizer=str(tmp_path), image_splitting=True))
    assert counter.name == str(tmp_path) and counter.per_image == 320
    doc = Document("d", "https://example.org/", [TextNode("the museum opened"), ImageNode("https://example.org/a.jpg"),
                                                  TextNode("a new wing of paintings")])
    counts = count_document_tokens(doc, counter)
    expected = sum(len(tok.encode(t, add_special_tokens=False).ids) for t in ("the museum opened",
                                                                             "a new wing of paintings"))
    assert counts == {"text": expected, "image": 320} and doc.metadata["tokens"] == counts
    assert expected > 7  # subword pieces: more tokens than the 7 words
    # A tokenizer that is not on this machine: the named whitespace proxy, nothing downloaded.
    missing = TokenCounter(CardConfig(tokenizer="nobody/no-such-tokenizer"))
    assert missing.name == "whitespace" and missing.text("a b  c") == 3


def test_size_categories_follow_the_hub_buckets() -> None:
    assert [size_category(n) for n in (0, 999, 1000, 123_456, 10**9)] == [
        "n<1K", "n<1K", "1K<n<10K", "100K<n<1M", "n>1B"]
