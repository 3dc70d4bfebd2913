"""Image filters, document rules, NSFW plumbing, the funnel, re-thresholding and the OBELICS config."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, ImageNode, TextNode
from builder.shards.reader import read_documents
from builder.shards.writer import ShardWriter
from filters.config import FiltersConfig
from filters.document_rules import DocumentRulesStage
from filters.nsfw import nudenet_available
from filters.rethreshold import rethreshold
from filters.stage import build_filter_stages
from tests.support.presets import obelics_preset

PROSE = ("The museum opened a new wing this spring, and the curators spent the winter moving "
         "paintings from the old galleries into the bright rooms that face the river. Visitors "
         "can now walk through the collection in the order the works were made.")


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (120, 90, 60)).save(buf, "PNG")
    return buf.getvalue()


def fetched(src: str, width: int, height: int, fmt: str = "png") -> ImageNode:
    data = png(width, height) if fmt == "png" else b"x"
    return ImageNode(src, info={"width": width, "height": height, "format": fmt}, data=data)


def run_all(docs: list[Document], config: FiltersConfig) -> tuple[list[Document], RunContext]:
    ctx = RunContext(config=LoomConfig())
    before, after = build_filter_stages(config)
    stream = iter(docs)
    for doc in docs:
        ctx.stats.count("doc.in")
        ctx.stats.count("image.in", len(doc.images))
    for stage in [*before, *after]:
        stream = stage(stream, ctx)
    out = list(stream)
    for doc in out:
        ctx.stats.count("doc.out")
        ctx.stats.count("image.out", len(doc.images))
    return out, ctx


def test_obelics_yaml_loads_with_the_published_values(repo_dir: Path) -> None:
    config = obelics_preset()
    f = config.filters
    assert (f.paragraph.words.min, f.paragraph.words.max) == (4, 1000)
    assert (f.document.words.min, f.document.words.max) == (10, 2000)
    assert f.paragraph.char_repetition.max == f.document.char_repetition.max == 0.1
    assert (f.paragraph.word_repetition.max, f.document.word_repetition.max) == (0.1, 0.2)
    assert (f.paragraph.special_chars.max, f.document.special_chars.max) == (0.3, 0.275)
    assert (f.paragraph.stopwords.min, f.document.stopwords.min) == (0.3, 0.35)
    assert f.document.flagged_words.max == 0.01 and f.paragraph.spam.less_than == 0.12
    assert f.document.lang.enabled and f.document.lang.min_score == 0.8 and f.languages == ["en"]
    assert (f.images.min_side, f.images.max_side, f.images.max_aspect_ratio) == (150, 20000, 2.0)
    assert (f.rules.min_images, f.rules.max_images) == (1, 30)
    # Beyond loom's defaults: NSFW on, OBELICS's word lists and text as it is, no spam check at this
    # step, and document-level perplexity.
    assert f.model_dump() == FiltersConfig(
        images={"nsfw": {"enabled": True}}, paragraph={"spam": {"enabled": False}},
        word_lists={"stopwords": "obelics", "flagged_words": "obelics", "straight_apostrophes": False},
        # perplexity: on in the preset (its model is not in the repository: the test helper turns it off)
        document={"perplexity": {"enabled": False, "max": 1500, "model": str(repo_dir / "configs/models/en.arpa.bin"),
                                 "tokenizer": str(repo_dir / "configs/models/en.sp.model")}},
    ).model_dump()


def test_size_format_aspect_and_url_words_each_drop_with_a_reason() -> None:
    doc = Document("d1", "https://example.org/a", [
        TextNode(PROSE),
        fetched("https://example.org/photo.png", 400, 300),            # kept
        fetched("https://example.org/small.png", 149, 300),            # size
        fetched("https://example.org/wide.png", 601, 300),             # aspect ratio > 2
        fetched("https://example.org/edge.png", 600, 300),             # aspect ratio == 2: kept
        fetched("https://example.org/anim.gif", 400, 300, fmt="gif"),  # format
        fetched("https://example.org/site-logo.png", 400, 300),        # banned URL word
        fetched("https://example.org/lexicon.png", 400, 300),          # not banned: kept
    ])
    out, ctx = run_all([doc], FiltersConfig())
    assert [n.src.rsplit("/", 1)[1] for n in out[0].images] == ["photo.png", "edge.png", "lexicon.png"]
    assert ctx.stats.drops["image.size"] == 1
    assert ctx.stats.drops["image.aspect_ratio"] == 1
    assert ctx.stats.drops["image.format"] == 1
    assert ctx.stats.drops["image.banned_url_word"] == 1
    assert out[0].images[1].scores["aspect_ratio"] == 2.0
    assert ctx.stats.imbalances() == []


def test_document_rules_image_counts_and_text() -> None:
    no_images = Document("a", "https://example.org/a", [TextNode(PROSE)])
    too_many = Document("b", "https://example.org/b",
                        [TextNode(PROSE), *[fetched(f"https://example.org/p{i}.png", 300, 300)
                                            for i in range(31)]])
    no_text_left = Document("c", "https://example.org/c",
                            [TextNode("Read more"), fetched("https://example.org/p.png", 300, 300)])
    cfg = FiltersConfig()
    out, ctx = run_all([no_images, too_many, no_text_left], cfg)
    assert out == []
    assert ctx.stats.drops["doc.too_few_images"] == 1
    assert ctx.stats.drops["doc.too_many_images"] == 1
    # Its one paragraph failed (too few words): the root cause, not the symptom doc.words_below_min
    assert ctx.stats.drops["doc.no_text_left"] == 1
    assert ctx.stats.causes["doc.no_text_left"] == {"paragraph.words_below_min": 1}
    assert ctx.stats.imbalances() == []
    # The final rule on its own: a document whose text is blank is dropped as no_text.
    doc = Document("d", "https://example.org/d", [TextNode("   "), fetched("https://example.org/p.png", 300, 300)])
    ctx = RunContext(config=LoomConfig())
    assert list(DocumentRulesStage(cfg)([doc], ctx)) == []
    assert ctx.stats.drops["doc.no_text"] == 1


def test_scores_travel_into_shards_and_rethreshold_reuses_them(tmp_path: Path) -> None:
    docs = [Document(f"doc{i}", f"https://example.org/{i}",
                     [TextNode(PROSE), TextNode("Tiny."), fetched(f"https://example.org/p{i}.png", 300, 200)])
            for i in range(3)]
    out, _ = run_all(docs, FiltersConfig(action="annotate"))
    with ShardWriter(tmp_path / "shards", "t") as writer:
        for doc in out:
            writer.write(doc)
    back = list(read_documents(tmp_path / "shards"))
    assert back[0].texts[1].scores["words"] == 1.0 and back[0].scores["lang_en"] > 0.8
    assert back[0].metadata["filter_failures"]["paragraph.words_below_min"] == 1
    # Re-threshold with the OBELICS values: the short paragraph goes, the documents stay.
    ctx = RunContext(config=LoomConfig())
    kept = list(rethreshold(back, FiltersConfig(), ctx))
    assert len(kept) == 3 and all(len(d.texts) == 1 for d in kept)
    assert ctx.stats.drops["paragraph.words_below_min"] == 3 and ctx.stats.imbalances() == []
    # Tighter: demand a higher stop-word share than the prose has; decided from stored scores.
    stop = kept[0].scores["stopword_ratio"]
    tight = FiltersConfig.model_validate({"document": {"stopwords": {"min": stop + 0.01}}})
    ctx2 = RunContext(config=LoomConfig())
    assert list(rethreshold(kept, tight, ctx2)) == []
    assert ctx2.stats.drops["doc.stopwords"] == 3 and ctx2.stats.imbalances() == []


@pytest.mark.skipif(not nudenet_available(), reason="NudeNet (loom[nsfw]) not installed")
def test_nsfw_scores_real_images_and_drops_by_the_configured_action(shared_dir: Path, tmp_path: Path) -> None:
    photo = (shared_dir / "corpus" / "images" / "pillow" / "hopper.jpg").read_bytes()

    def doc() -> Document:
        return Document("n", "https://example.org/n", [TextNode(PROSE), ImageNode(
            "https://example.org/hopper.jpg", info={"width": 300, "height": 300, "format": "jpeg"}, data=photo)])

    base = {"nsfw": {"enabled": True, "cache_dir": str(tmp_path)}, "min_side": 1}
    out, _ = run_all([doc()], FiltersConfig.model_validate({"images": base}))
    assert len(out) == 1 and 0.0 <= out[0].images[0].scores["nsfw"] < 0.5  # a portrait, not NSFW
    # Threshold 0 marks every image NSFW: the plumbing of both actions, with the real model.
    strict = {**base, "nsfw": {**base["nsfw"], "threshold": 0.0}}
    out, ctx = run_all([doc()], FiltersConfig.model_validate({"images": strict}))
    assert out == [] and ctx.stats.drops["doc.nsfw"] == 1
    per_image = {**base, "nsfw": {**strict["nsfw"], "action": "drop_image"}}
    out, ctx = run_all([doc()], FiltersConfig.model_validate({"images": per_image}))
    assert out == [] and ctx.stats.drops["image.nsfw"] == 1 and ctx.stats.drops["doc.no_image_left"] == 1


def test_real_pages_funnel_balances_and_kept_nodes_carry_scores(shared_dir: Path) -> None:
    from builder.extract import ExtractRejected, extract_document

    pages = sorted((shared_dir / "corpus" / "html" / "readability" / "test-pages").glob("*/source.html"))[:25]
    docs = []
    for page in pages:
        try:
            docs.append(extract_document(page.read_bytes(), "http://fakehost/test/page.html"))
        except ExtractRejected:
            continue
    before, _ = build_filter_stages(FiltersConfig())
    ctx = RunContext(config=LoomConfig())
    for d in docs:
        ctx.stats.count("doc.in")
        ctx.stats.count("image.in", len(d.images))
    stream = iter(docs)
    for stage in before:
        stream = stage(stream, ctx)
    out = list(stream)
    for d in out:
        ctx.stats.count("doc.out")
        ctx.stats.count("image.out", len(d.images))
    assert ctx.stats.imbalances() == []
    assert 0 < len(out) < len(docs)
    assert ctx.stats.counts["paragraph.in"] == (ctx.stats.counts["paragraph.out"] + ctx.stats.dropped("paragraph"))
    for d in out:
        assert "stopword_ratio" in d.scores and d.metadata["lang"] == "en"
        assert all("words" in n.scores for n in d.texts)
