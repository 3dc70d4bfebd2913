"""Dedup passes end to end (map → reduce → apply) on small corpora with planted duplicates of each kind."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, ImageNode, Provenance, TextNode
from filters.dedup import DedupConfig, DedupPasses, DedupStateError

VOCAB = [f"word{i}" for i in range(20000)]


def words(rng: random.Random, n: int = 80) -> str:
    return " ".join(rng.choices(VOCAB, k=n))


def doc(doc_id: str, url: str, nodes: list, fetched: str | None = "2024-01-01T00:00:00Z") -> Document:
    return Document(id=doc_id, url=url, nodes=nodes, provenance=Provenance(url=url, fetched=fetched))


def image(src: str, phash: int | None = None, sha: str | None = None) -> ImageNode:
    info: dict = {}
    if phash is not None:
        info["phash"] = f"{phash:016x}"
    if sha is not None:
        info["sha256"] = sha
    return ImageNode(src, info=info)


def unique_doc(rng: random.Random, i: int, site: str = "example.org", **kw) -> Document:
    return doc(f"u{i:04d}", f"https://{site}/page{i}", [
        TextNode(words(rng)), image(f"https://{site}/img{i}.jpg", rng.getrandbits(64)), TextNode(words(rng)),
    ], **kw)


def config(**sections) -> DedupConfig:
    """Only the named passes enabled (with their settings)."""
    names = ("urls", "images", "perceptual", "image_sets", "near_duplicates", "paragraphs")
    data: dict = {"enabled": True}
    for name in names:
        data[name] = {"enabled": name in sections, **(sections.get(name) or {})}
    return DedupConfig.model_validate(data)


def run(cfg: DedupConfig, work: Path, partitions: dict[str, list[Document]]) -> tuple[list[Document], RunContext]:
    passes = DedupPasses(cfg, work)
    for name, docs in partitions.items():
        passes.map_partition(name, docs)
    passes.reduce()
    ctx = RunContext(LoomConfig())
    out = []
    for name, docs in partitions.items():
        ctx.partition = name
        out.extend(passes.apply(docs, ctx))
    return out, ctx


def test_url_duplicates_keep_latest_crawl(tmp_path):
    rng = random.Random(1)
    body = [TextNode(words(rng)), image("https://a.org/x.jpg")]
    old = doc("old", "https://A.org/post?id=1#top", list(body), fetched="2023-05-01T00:00:00Z")
    new = doc("new", "https://a.org:443/post?id=1", list(body), fetched="2024-05-01T10:00:00+00:00")
    undated = doc("undated", "https://a.org/post?id=1", list(body), fetched=None)
    other = doc("other", "https://a.org/post?id=2", [TextNode(words(rng)), image("https://a.org/y.jpg")])
    out, ctx = run(config(urls={}), tmp_path, {"p0": [old, undated], "p1": [new, other]})
    assert sorted(d.id for d in out) == ["new", "other"]
    assert ctx.stats.drops["doc.duplicate_url"] == 2
    assert old.metadata["duplicate_of"] == "new" and undated.metadata["duplicate_of"] == "new"


def test_keep_rule_tie_breaks(tmp_path):
    """Same fetch time: most images, then longest text, then smallest id."""
    t = "2024-01-01T00:00:00Z"
    text = "the same text"
    a = doc("b-two-images", "https://s.org/x", [TextNode(text), image("i1"), image("i2")], t)
    b = doc("a-one-image", "https://s.org/x", [TextNode(text + " and more"), image("i1")], t)
    out, _ = run(config(urls={}), tmp_path / "1", {"p": [a, b]})
    assert [d.id for d in out] == ["b-two-images"]
    c = doc("c-longer", "https://s.org/y", [TextNode(text + " longer"), image("i1")], t)
    d = doc("d-short", "https://s.org/y", [TextNode(text), image("i1")], t)
    e = doc("e-longer", "https://s.org/y", [TextNode(text + " longer"), image("i1")], t)
    out, _ = run(config(urls={}), tmp_path / "2", {"p": [d, e, c]})
    assert [x.id for x in out] == ["c-longer"]
    assert e.metadata["duplicate_of"] == "c-longer"


def test_frequent_images_removed_everywhere(tmp_path):
    rng = random.Random(2)
    docs = []
    for i in range(12):
        d = unique_doc(rng, i)
        d.nodes.append(image(f"https://cdn{i % 3}.org/logo.png", sha="ab" * 32))  # same bytes, 3 URLs
        if i < 10:
            d.nodes.append(image("https://x.org/icon.gif"))  # in 10 documents: not "more than 10"
        docs.append(d)
    out, ctx = run(config(images={"max_documents": 10}), tmp_path, {"a": docs[:5], "b": docs[5:]})
    assert len(out) == 12
    assert ctx.stats.drops["image.frequent"] == 12
    for d in out:
        assert all("logo" not in n.src for n in d.images)
    assert sum(1 for d in out for n in d.images if "icon" in n.src) == 10


def test_perceptual_identity_catches_resized_copies(tmp_path):
    rng = random.Random(3)
    base = 0x9F3C_5A21_77E0_1B4D
    docs = []
    for i in range(11):
        d = unique_doc(rng, i)
        flipped = base ^ (1 << (i % 64))  # one bit off: the same picture re-encoded or resized
        d.nodes.append(image(f"https://site{i}.org/banner-{i}.jpg", flipped))
        docs.append(d)
    # Same picture twice in one document, at two sizes.
    docs[0].nodes.append(image("https://site0.org/banner-small.jpg", base ^ 0b11))
    out, ctx = run(config(images={"max_documents": 10}, perceptual={"max_distance": 2}), tmp_path, {"p": docs})
    assert ctx.stats.drops["image.frequent"] == 12
    assert all(not n.src.startswith("https://site") or "img" in n.src for d in out for n in d.images)
    # Without perceptual identity, eleven different URLs are eleven different images.
    out, ctx = run(config(images={"max_documents": 10}), tmp_path / "exact", {"p": docs})
    assert ctx.stats.drops["image.frequent"] == 0


def test_repeated_image_in_document(tmp_path):
    rng = random.Random(4)
    d = unique_doc(rng, 0)
    d.nodes.insert(1, image("https://example.org/img0.jpg", 5))
    d.nodes[2] = image("https://example.org/img0.jpg", 5)
    out, ctx = run(config(images={}), tmp_path, {"p": [d]})
    assert ctx.stats.drops["image.repeat_in_document"] == 1
    assert len(out[0].images) == 1
    assert out[0].nodes[1] is not None and isinstance(out[0].nodes[1], ImageNode)


def test_paragraphs_repeated_within_a_domain(tmp_path):
    rng = random.Random(5)
    boiler = "Subscribe to our newsletter for the latest news."
    docs = []
    for i in range(3):
        d = unique_doc(rng, i, site="news.org")
        d.nodes.append(TextNode(boiler if i else "  SUBSCRIBE to our  newsletter for the latest news. "))
        docs.append(d)
    elsewhere = unique_doc(rng, 9, site="blog.net")
    elsewhere.nodes.append(TextNode(boiler))
    twice = [unique_doc(rng, 20 + i, site="two.org") for i in range(2)]
    for d in twice:
        d.nodes.append(TextNode(boiler))
    parts = {"a": docs[:2], "b": docs[2:] + [elsewhere] + twice}
    out, ctx = run(config(paragraphs={"min_documents": 3}), tmp_path, parts)
    assert ctx.stats.drops["paragraph.repeated_in_domain"] == 3
    by_id = {d.id: d for d in out}
    assert all("ubscribe" not in d.text() for d in docs)
    assert boiler in by_id[elsewhere.id].text()
    assert all(boiler in by_id[d.id].text() for d in twice)


def test_same_image_set_deduplicated(tmp_path):
    rng = random.Random(6)
    imgs = [image("https://g.org/1.jpg", sha="11" * 32), image("https://g.org/2.jpg", sha="22" * 32)]
    a = doc("a", "https://g.org/a", [TextNode(words(rng)), imgs[0], imgs[1]], "2024-01-01T00:00:00Z")
    b = doc("b", "https://g.org/b", [TextNode(words(rng)), image("https://g.org/2.jpg", sha="22" * 32),
                                      image("https://mirror.org/1.jpg", sha="11" * 32)], "2024-02-01T00:00:00Z")
    c = doc("c", "https://g.org/c", [TextNode(words(rng)), imgs[0]])  # a subset: not the same set
    out, ctx = run(config(image_sets={}), tmp_path, {"p": [a, b, c]})
    assert sorted(d.id for d in out) == ["b", "c"]
    assert a.metadata["duplicate_of"] == "b"
    assert ctx.stats.drops["doc.duplicate_image_set"] == 1


def test_near_duplicates_clustered_and_one_kept(tmp_path):
    rng = random.Random(7)
    base = words(rng, 400).split()
    variants = []
    for k in range(4):
        edited = list(base)
        for pos in rng.sample(range(len(edited)), 3):
            edited[pos] = f"edit{k}x{pos}"
        variants.append(" ".join(edited))
    docs = [doc(f"v{k}", f"https://mirror{k}.org/a", [TextNode(t), image(f"https://m{k}.org/i.jpg")],
                f"2024-0{k + 1}-01T00:00:00Z") for k, t in enumerate(variants)]
    others = [unique_doc(rng, i) for i in range(20)]
    out, ctx = run(config(near_duplicates={}), tmp_path, {"x": docs[:2] + others[:10], "y": docs[2:] + others[10:]})
    assert ctx.stats.drops["doc.near_duplicate"] == 3
    kept = [d for d in out if d.id.startswith("v")]
    assert [d.id for d in kept] == ["v3"]  # latest crawl
    assert all(d.metadata["duplicate_of"] == "v3" for d in docs[:3])


def test_documents_emptied_by_dedup_are_dropped(tmp_path):
    rng = random.Random(8)
    docs = []
    for i in range(4):
        d = doc(f"d{i}", f"https://e.org/{i}", [TextNode("Same footer on every page of e.org"), image("logo.png"),
                                               TextNode(words(rng)), image(f"https://e.org/{i}.jpg")])
        docs.append(d)
    only_logo = doc("only-logo", "https://e.org/only", [TextNode(words(rng)), image("logo.png")])
    only_footer = doc("only-footer", "https://e.org/footer", [TextNode("Same footer on every page of e.org"),
                                                              image("https://e.org/f.jpg")])
    out, ctx = run(config(images={"max_documents": 3}, paragraphs={}), tmp_path,
                   {"p": docs + [only_logo, only_footer]})
    assert sorted(d.id for d in out) == ["d0", "d1", "d2", "d3"]
    assert ctx.stats.drops["doc.dedup_empty"] == 2
    assert ctx.stats.drops["image.frequent"] == 5
    assert ctx.stats.drops["paragraph.repeated_in_domain"] == 5


def test_every_document_is_accounted_for(tmp_path):
    rng = random.Random(9)
    docs = [unique_doc(rng, i) for i in range(40)]
    docs += [doc(f"copy{i}", d.url, list(d.nodes)) for i, d in enumerate(docs[:5])]
    out, ctx = run(DedupConfig(enabled=True), tmp_path, {"a": docs[:20], "b": docs[20:]})
    assert len(out) + ctx.stats.dropped("doc") == len(docs)
    assert ctx.stats.dropped("doc") == 5


def _decisions(cfg: DedupConfig, work: Path, partitions: dict[str, list[Document]]):
    out, ctx = run(cfg, work, partitions)
    return (sorted((d.id, d.text(), tuple(n.src for n in d.images)) for d in out),
            dict(ctx.stats.drops))


def _mixed_corpus(seed: int) -> list[Document]:
    rng = random.Random(seed)
    docs = [unique_doc(rng, i, site=f"s{i % 4}.org") for i in range(60)]
    for d in docs[:15]:
        d.nodes.append(image("https://ads.org/banner.gif"))
        d.nodes.append(TextNode("All rights reserved by the owners of this site."))
    for i, d in enumerate(docs[20:26]):
        d2 = doc(f"near{i}", f"https://copy{i}.net/x", [
            TextNode(n.text + " extra words here") if isinstance(n, TextNode) else image(n.src + "?copy")
            for n in d.nodes], "2025-01-01T00:00:00Z")
        docs.append(d2)
    docs += [doc(f"again{i}", docs[30 + i].url, list(docs[30 + i].nodes), "2022-01-01T00:00:00Z") for i in range(4)]
    return docs


def test_same_result_whatever_the_partitioning(tmp_path):
    cfg = DedupConfig(enabled=True)
    one = _decisions(cfg, tmp_path / "one", {"all": _mixed_corpus(10)})
    shuffled = _mixed_corpus(10)  # apply edits documents in place: a fresh copy
    random.Random(3).shuffle(shuffled)
    many = _decisions(cfg, tmp_path / "many", {f"part-{i}": shuffled[i::5] for i in range(5)})
    assert one == many
    assert one[1]["doc.near_duplicate"] == 6 and one[1]["doc.duplicate_url"] == 4


def test_map_rerun_replaces_partition_and_reduce_is_idempotent(tmp_path):
    rng = random.Random(11)
    docs = [unique_doc(rng, i) for i in range(10)]
    dup = doc("dup", docs[0].url, list(docs[0].nodes), "2020-01-01T00:00:00Z")
    passes = DedupPasses(DedupConfig(enabled=True), tmp_path)
    passes.map_partition("p", docs + [dup])
    passes.map_partition("p", docs + [dup])  # a retried worker
    passes.reduce()
    first = passes.summary()
    passes.reduce()
    assert passes.summary()["doc_drops"] == first["doc_drops"] == {
        "duplicate_url": 1, "duplicate_image_set": 0, "near_duplicate": 0}
    assert first["documents"] == 11


def test_apply_before_reduce_is_a_clear_error(tmp_path):
    passes = DedupPasses(DedupConfig(enabled=True), tmp_path)
    passes.map_partition("p", [])
    with pytest.raises(DedupStateError, match="reduce"):
        list(passes.apply([], RunContext(LoomConfig(), partition="p")))
    with pytest.raises(DedupStateError):
        passes.summary()


def test_changed_minhash_parameters_are_refused(tmp_path):
    rng = random.Random(12)
    DedupPasses(DedupConfig(enabled=True), tmp_path).map_partition("p", [unique_doc(rng, 0)])
    changed = DedupConfig.model_validate({"enabled": True, "near_duplicates": {"bands": 20, "rows": 5}})
    with pytest.raises(DedupStateError, match="parameters"):
        DedupPasses(changed, tmp_path).reduce()


def test_config_rejects_unknown_keys_and_bad_values():
    with pytest.raises(ValueError):
        DedupConfig.model_validate({"near_duplicates": {"bandz": 3}})
    with pytest.raises(ValueError):
        DedupConfig.model_validate({"paragraphs": {"min_documents": 1}})
    assert DedupConfig().enabled is False
    assert DedupConfig().near_duplicates.num_perm == 112


def test_documents_sharing_an_id_are_told_apart(tmp_path):
    """Two pages with one URL and no WARC offset get the same id: dedup keeps one of them, not none."""
    rng = random.Random(13)
    a = doc("same-id", "http://fakehost/test/page.html", [TextNode(words(rng)), image("a.jpg")], None)
    b = doc("same-id", "http://fakehost/test/page.html", [TextNode(words(rng, 200)), image("b.jpg")], None)
    out, ctx = run(config(urls={}), tmp_path / "1", {"p": [a, b]})
    assert [d.text() for d in out] == [b.text()]  # the longer text
    assert ctx.stats.drops["doc.duplicate_url"] == 1
    # Whatever the order, the same one is kept.
    a2 = doc("same-id", a.url, [TextNode(a.nodes[0].text), image("a.jpg")], None)
    b2 = doc("same-id", b.url, [TextNode(b.nodes[0].text), image("b.jpg")], None)
    out, _ = run(config(urls={}), tmp_path / "2", {"p": [b2, a2]})
    assert [d.text() for d in out] == [b.text()]


def test_tiny_reduce_memory_gives_the_same_decisions(tmp_path):
    small = DedupConfig.model_validate({"enabled": True, "reduce_memory_mb": 1})
    big = DedupConfig.model_validate({"enabled": True, "reduce_memory_mb": 4096})
    rng = random.Random(14)
    extra = [unique_doc(rng, 100 + i, site=f"s{i % 4}.org") for i in range(700)]
    results = []
    for name, cfg in (("small", small), ("big", big)):
        docs = _mixed_corpus(10) + [doc(d.id, d.url, list(d.nodes)) for d in extra]
        passes = DedupPasses(cfg, tmp_path / name)
        passes.map_partition("a", docs[::2])
        passes.map_partition("b", docs[1::2])
        passes.reduce()
        summary = passes.summary()
        results.append({k: summary[k] for k in ("doc_drops", "image_removals", "paragraph_removals")})
        if name == "small":
            assert summary["band_key_ranges"] > 1 and summary["paragraph_key_ranges"] >= 1
        else:
            assert summary["band_key_ranges"] == 1
    assert results[0] == results[1]


def test_reduce_can_be_limited_to_named_partitions(tmp_path):
    rng = random.Random(15)
    docs = [unique_doc(rng, i) for i in range(5)]
    stale = [doc("old", docs[0].url, list(docs[0].nodes), "2030-01-01T00:00:00Z")]
    passes = DedupPasses(DedupConfig(enabled=True), tmp_path)
    passes.map_partition("earlier-run", stale)
    passes.map_partition("now", docs)
    passes.reduce(["now"])
    assert passes.summary()["documents"] == 5 and passes.summary()["doc_drops"]["duplicate_url"] == 0
    passes.reduce()  # everything mapped: the stale newer capture wins
    assert passes.summary()["doc_drops"]["duplicate_url"] == 1
    with pytest.raises(DedupStateError, match="never mapped"):
        passes.reduce(["now", "missing"])


def test_reduce_with_nothing_mapped(tmp_path):
    passes = DedupPasses(DedupConfig(enabled=True), tmp_path / "never-created")
    passes.reduce()
    assert passes.summary()["documents"] == 0 and passes.summary()["partitions"] == 0


def test_reduce_refuses_keys_that_map_did_not_compute(tmp_path):
    rng = random.Random(16)
    DedupPasses(config(near_duplicates={}), tmp_path).map_partition("p", [unique_doc(rng, i) for i in range(3)])
    with pytest.raises(DedupStateError, match="urls"):
        DedupPasses(config(urls={}), tmp_path).reduce()
    with pytest.raises(DedupStateError, match="parameters"):
        DedupPasses(config(paragraphs={}), tmp_path).reduce()


def test_near_duplicate_chain_keeps_the_far_end(tmp_path):
    """Full article, 75% and 55% excerpts: each links to the next, but the 55% one copies no kept text."""
    rng = random.Random(17)
    full = words(rng, 1200).split()
    texts = {"full": full, "most": full[: int(0.75 * len(full))], "half": full[: int(0.55 * len(full))]}
    docs = [doc(k, f"https://{k}.org/a", [TextNode(" ".join(t)), image(f"https://{k}.org/i.jpg")])
            for k, t in texts.items()]
    out, ctx = run(config(near_duplicates={}), tmp_path, {"p": docs})
    summary = DedupPasses(config(near_duplicates={}), tmp_path).summary()
    assert summary["verified_pairs"] == 2 and summary["near_duplicate_clusters"] == 1  # one chain
    assert sorted(d.id for d in out) == ["full", "half"]
    assert docs[1].metadata["duplicate_of"] == "full"


def test_odd_documents_never_break_a_run_and_every_one_is_accounted_for(tmp_path):
    rng = random.Random(18)
    alphabet = "abc xyz 中文字 ёж é\u00a0—“”，。!?\n\t\x00\ud800 😀 0123"
    odd_times = [None, "", "garbage", "2024-02-30T00:00:00Z", "2024-01-01", "2024-01-01T00:00:00+05:30", 42]
    docs = []
    for i in range(200):
        nodes: list = []
        for _ in range(rng.randint(0, 6)):
            if rng.random() < 0.6:
                nodes.append(TextNode("".join(rng.choices(alphabet, k=rng.randint(0, 300)))))
            else:
                info = rng.choice([{}, {"phash": "zz"}, {"phash": f"{rng.getrandbits(64):016x}"}, {"sha256": ""},
                                   {"phash": "0" * 16, "sha256": "ab" * 32}])
                src = rng.choice(["", "x.jpg", "http://[bad", f"https://h.org/{i % 7}.png"])
                nodes.append(ImageNode(src, info=info))
        url = rng.choice(["", "not a url", "http://[bad", f"https://s{i % 5}.org/{i % 50}", "HTTP://S1.ORG:80/1"])
        d = Document(f"id{i % 150}", url, nodes, provenance=Provenance(url, None))
        d.metadata["fetched"] = rng.choice(odd_times)
        docs.append(d)
    out, ctx = run(DedupConfig(enabled=True), tmp_path, {"a": docs[:70], "b": docs[70:140], "c": docs[140:]})
    assert len(out) + ctx.stats.dropped("doc") == len(docs)
    assert len({id(d) for d in out}) == len(out)
