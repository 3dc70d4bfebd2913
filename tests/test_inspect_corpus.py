"""loom inspect, without a browser: the shard index, the funnel, the charts, the filters, the report.

`build_output` (also used by the other test_inspect_* files) writes a small but real output
folder the way `loom run` does: ShardWriter shards, write_manifest, stats.json from Stats,
and rejected documents in rejects/.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from builder.document import Document, ImageNode, Provenance, TextNode, document_key
from builder.inspect.corpus_index import KEPT, REJECTS, CorpusIndex, domain_of
from builder.inspect.funnel import build_funnels
from builder.inspect.query import DocQuery, SelectionCache, paginate
from builder.inspect.render import document_nodes, render_docs
from builder.inspect.report import write_report
from builder.inspect.summary import summarize
from builder.inspect.svg import edge_bins, linear_bins
from builder.shards.manifest import write_manifest
from builder.shards.writer import ShardWriter
from builder.stats import Stats

# (domain, lang, number of documents): 12 kept documents over 3 domains and 3 languages.
KEPT_LAYOUT = [("example.com", "en", 5), ("news.example.org", "fr", 3), ("news.example.org", "en", 1),
               ("blog.test", "en", 2), ("blog.test", "de", 1)]
FORMATS = [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif")]
XSS_TEXT = "<script>alert('xss')</script> & <img src=x onerror=alert(1)>"


def make_image(width: int, height: int, fmt: str, seed: int) -> bytes:
    img = Image.new("RGB", (width, height), ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    for x in range(0, width, 7):  # some structure, so encoders do real work
        img.putpixel((x, (x * seed) % height), (255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def make_document(n: int, domain: str, lang: str, n_images: int, reject: str = "") -> Document:
    url = f"https://{'www.' if n % 4 == 0 else ''}{domain}/article/{n}?ref=test"
    nodes: list = [TextNode(f"Heading of document {n}", tag="h1")]
    for i in range(n_images):
        width, height = 80 + 40 * ((n + i) % 5), 60 + 30 * ((n * 3 + i) % 4)
        fmt, ext = FORMATS[(n + i) % len(FORMATS)]
        nodes.append(ImageNode(f"https://img.{domain}/{n}/{i}.{ext}", alt=f"picture {i} of doc {n}",
                               info={"width": width, "height": height, "format": fmt.lower(),
                                     "sha256": f"{n:02d}{i:02d}" + "0" * 60, "phash": "c3c3c3c3c3c3c3c3"},
                               data=make_image(width, height, fmt, n * 10 + i)))
        nodes.append(TextNode(f"Paragraph {i} of document {n}: " + "word " * (10 + 7 * n)))
    if n == 3:
        nodes.append(TextNode(XSS_TEXT))
    metadata = {"title": f"Document {n} on {domain}", "lang": lang}
    if reject:
        metadata["drop_reason"] = reject
    doc = Document(id=document_key(url), url=url, nodes=nodes, metadata=metadata,
                   provenance=Provenance(url=url, source="html"),
                   scores={"quality": round(0.05 + 0.07 * n, 3), "words": float(10 + 7 * n)})
    return doc


@dataclass
class Output:
    path: Path
    kept: list[Document] = field(default_factory=list)
    rejects: list[Document] = field(default_factory=list)
    stats: dict = field(default_factory=dict)


def build_output(out: Path) -> Output:
    """A finished run's output folder: 12 kept documents in 3 shards, 3 rejects, stats, manifest."""
    result = Output(out)
    n = 0
    for domain, lang, count in KEPT_LAYOUT:
        for _ in range(count):
            result.kept.append(make_document(n, domain, lang, n_images=n % 4))
            n += 1
    for reason in ("doc.too_few_words", "doc.too_few_words", "doc.nsfw"):
        result.rejects.append(make_document(n, "spam.test", "en", n_images=1, reject=reason))
        n += 1
    result.rejects[-1].metadata["unfetched_images"] = ["https://spam.test/never-fetched.jpg"]
    result.rejects[0].url = "javascript:alert(1)//spam.test"
    with ShardWriter(out, "shard", max_samples=5) as writer:
        for doc in result.kept:
            writer.write(doc)
    with ShardWriter(out / "rejects", "rejects", max_samples=5) as rejects:
        for doc in result.rejects:
            rejects.write(doc)
    write_manifest(out, writer.shards, config={"name": "inspect-test"})
    write_manifest(out / "rejects", rejects.shards)
    stats = Stats()
    stats.count("doc.in", 20)
    stats.count("doc.out", 12)
    stats.drop("doc.too_few_words", 5)
    stats.drop("doc.duplicate", 2)
    stats.drop("doc.nsfw", 1)
    n_images = sum(len(d.images) for d in result.kept)
    stats.count("image.in", n_images + 9)
    stats.count("image.out", n_images)
    stats.drop("image.http_404", 4)
    stats.drop("image.too_small", 2)
    stats.drop("image.in_dropped_doc", 3)
    stats.drop("paragraph.too_short", 17)
    result.stats = stats.to_dict()
    (out / "stats.json").write_text(json.dumps(result.stats))
    return result


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Output:
    return build_output(tmp_path_factory.mktemp("out"))


@pytest.fixture(scope="module")
def index(output: Output) -> CorpusIndex:
    return CorpusIndex.build(output.path)


def test_index_finds_every_sample_with_its_fields(output: Output, index: CorpusIndex) -> None:
    assert len(index.shards) == 3 + 1  # 12 kept in shards of 5, 3 rejects in one
    assert [e.key for e in index.kept.samples] == [d.id for d in output.kept]
    assert [e.key for e in index.rejects.samples] == [d.id for d in output.rejects]
    assert index.errors == []
    for doc in output.kept:
        entry = index.get(KEPT, doc.id)
        assert entry is not None
        assert entry.url == doc.url
        assert entry.domain == domain_of(doc.url) and not entry.domain.startswith("www.")
        assert entry.lang == doc.metadata["lang"]
        assert entry.words == len(doc.text(" ").split())
        assert entry.n_images == entry.n_images_stored == len(doc.images)
        assert entry.scores == doc.scores
    reasons = [e.drop_reason for e in index.rejects.samples]
    assert reasons == ["doc.too_few_words", "doc.too_few_words", "doc.nsfw"]
    assert index.get(KEPT, output.rejects[0].id) is None
    assert index.get(REJECTS, "../etc") is None


def test_members_are_read_back_by_offset(output: Output, index: CorpusIndex) -> None:
    for doc in output.kept + output.rejects:
        subset = REJECTS if doc.metadata.get("drop_reason") else KEPT
        entry = index.get(subset, doc.id)
        assert entry is not None
        for i, node in enumerate(doc.images):
            assert index.read_member(entry, f"{i}.{node.ext}") == node.data
        assert index.read_json(entry)["url"] == doc.url
        assert index.read_member(entry, "7.jpg") is None


def test_summary_numbers(output: Output, index: CorpusIndex) -> None:
    s = summarize(index)
    assert s.documents == 12 and s.rejects == 3
    assert s.images == sum(len(d.images) for d in output.kept)
    assert s.words == sum(len(d.text(" ").split()) for d in output.kept)
    assert s.languages == [("en", 8), ("fr", 3), ("de", 1)]
    assert dict(s.domains) == {"example.com": 5, "news.example.org": 4, "blog.test": 3}
    assert s.reject_reasons == [("doc.too_few_words", 2), ("doc.nsfw", 1)]
    assert s.score_names == ["quality", "words"]
    assert s.problems == []
    assert len(s.charts) >= 8 and all("<svg" in c.svg or "no data" in c.svg for c in s.charts)


def test_funnel_from_stats(output: Output) -> None:
    funnels = {f.unit: f for f in build_funnels(output.stats)}
    doc = funnels["doc"]
    assert (doc.n_in, doc.n_out, doc.balanced) == (20, 12, True)
    # in pipeline order: text filters, then image filters (nsfw), then dedup; not by size
    assert [(s.reason, s.removed, s.remaining) for s in doc.steps] == [
        ("doc.too_few_words", 5, 15), ("doc.nsfw", 1, 14), ("doc.duplicate", 2, 12)]
    assert [s.stage for s in doc.steps] == ["text filters", "image filters", "dedup"]
    image = funnels["image"]
    assert [s.reason for s in image.steps] == ["image.http_404", "image.too_small", "image.in_dropped_doc"]
    assert funnels["image"].balanced is True
    assert funnels["paragraph"].n_in is None and funnels["paragraph"].dropped == 17
    broken = dict(output.stats, counts={**output.stats["counts"], "doc.out": 13})
    assert next(f for f in build_funnels(broken) if f.unit == "doc").balanced is False


def test_funnel_orders_steps_by_recorded_stages(output: Output) -> None:
    stats = dict(output.stats, stages=[
        {"name": "filters", "drops": {"doc.nsfw": 1, "doc.too_few_words": 5}},
        {"name": "dedup", "drops": {"doc.duplicate": 2}},
    ])
    doc = next(f for f in build_funnels(stats) if f.unit == "doc")
    assert [(s.stage, s.reason) for s in doc.steps] == [
        ("filters", "doc.too_few_words"), ("filters", "doc.nsfw"), ("dedup", "doc.duplicate")]
    assert [s.remaining for s in doc.steps] == [15, 14, 12]


@pytest.mark.parametrize("values", [[1, 2, 3, 500, 7, 7, 0], [0.5] * 9, list(range(1000)), [3.2, -1.5, 9.9]])
def test_histogram_bins_count_every_value(values: list[float]) -> None:
    assert sum(b.count for b in linear_bins(values)) == len(values)
    assert sum(b.count for b in linear_bins(values, n=7, integer=True)) == len(values)
    assert sum(b.count for b in linear_bins(values, from_zero=False)) == len(values)
    assert linear_bins([]) == []


def test_integer_bins_are_whole_numbers() -> None:
    bins = linear_bins([0, 1, 1, 2, 3, 3, 3], n=12, quantile=1.0, integer=True)
    assert [(b.label, b.count) for b in bins] == [("0", 1), ("1", 2), ("2", 1), ("3", 3)]


def test_edge_bins() -> None:
    inf = float("inf")
    bins = edge_bins([0.1, 1.0, 1.0, 5.0], [0, 0.5, 2, inf], ["narrow", "square", "wide"])
    assert [(b.label, b.count) for b in bins] == [("narrow", 1), ("square", 2), ("wide", 1)]


def test_query_filters_and_pages(index: CorpusIndex) -> None:
    def keys(**params: str) -> list[str]:
        return [e.url for e in DocQuery.from_params({k: [v] for k, v in params.items()}).select(index)]

    assert len(keys()) == 12
    news = keys(domain="news.example.org")
    assert len(news) == 4 and all("news.example.org" in u for u in news)
    assert len(keys(domain="news.example.org", lang="en")) == 1
    assert keys(q="ARTICLE/7?") == ["https://news.example.org/article/7?ref=test"]
    high = keys(score="quality", min="0.5")
    assert len(high) == 5  # quality = 0.05 + 0.07 n >= 0.5 for n = 7..11
    assert keys(score="quality", sort="score_desc")[0].endswith("/article/11?ref=test")
    assert len(keys(subset="rejects", reason="doc.nsfw")) == 1
    notes: list[str] = []
    query = DocQuery.from_params({"min": ["abc"], "page": ["x"], "subset": ["../../etc"]}, notes)
    assert query == DocQuery() and len(notes) == 3
    page = paginate(query.select(index), page=2, size=5)
    assert (page.number, page.pages, page.total, page.first, len(page.entries)) == (2, 3, 12, 6, 5)
    assert paginate([], page=4).pages == 1
    assert DocQuery(domain="a b", page=2).params(page=3) == "domain=a+b&page=3"
    cache = SelectionCache(index, size=2)
    first = cache(DocQuery(lang="fr", page=1))
    assert cache(DocQuery(lang="fr", page=2)) is first  # paging reuses the selection
    assert [e.lang for e in first] == ["fr"] * 3
    cache(DocQuery(lang="de"))
    cache(DocQuery(lang="en"))
    assert cache(DocQuery(lang="fr")) is not first  # evicted: at most `size` kept


def test_empty_or_bare_folder_still_renders(tmp_path: Path) -> None:
    """A run that kept nothing (or a folder of shards without manifest or stats) gets a dashboard too."""
    from builder.inspect.render import render_dashboard

    empty = summarize(CorpusIndex.build(tmp_path))
    assert empty.documents == 0 and empty.funnels == [] and empty.problems == []
    assert 'id="card-documents"><div class="value">0<' in render_dashboard(empty)
    with ShardWriter(tmp_path, "bare") as writer:
        writer.write(Document(id="nolang", url="not a url", nodes=[TextNode("just text")]))
    index = CorpusIndex.build(tmp_path)
    s = summarize(index)
    assert s.languages == [("(unknown)", 1)] and s.domains == [("(unknown)", 1)]
    assert [e.key for e in DocQuery(lang="(unknown)", domain="(unknown)").select(index)] == ["nolang"]
    assert render_docs(index, s, DocQuery(), []).count('class="row"') == 1
    write_report(tmp_path)


def test_document_nodes_keep_order_and_flag_missing_images(index: CorpusIndex) -> None:
    entry = index.kept.samples[3]
    data = index.read_json(entry)
    nodes = document_nodes(data, entry)
    assert [n["kind"] for n in nodes] == ["text" if t is not None else "image" for t in data["texts"]]
    assert all(n["stored"] for n in nodes if n["kind"] == "image")
    data = dict(data, images=[None] * (len(data["texts"]) - 1) + ["9.jpg"], texts=data["texts"][:-1] + [None])
    assert document_nodes(data, entry)[-1]["stored"] is False


def test_rendered_pages_escape_crawled_text(index: CorpusIndex) -> None:
    s = summarize(index)
    html = render_docs(index, s, DocQuery(q="article/3?"), [])
    assert "article/3?ref=test" in html
    from builder.inspect.render import render_doc

    page = render_doc(index, s, index.kept.samples[3], DocQuery())
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_document_page_shows_training_text_and_neighbours(output: Output, index: CorpusIndex) -> None:
    from builder.inspect.render import render_doc, training_text

    s = summarize(index)
    entry = index.kept.samples[6]
    text = training_text(index.read_json(entry))
    assert text is not None and text.count("<image>") == 2
    assert text.startswith("Heading of document 6") and text.index("<image>") < text.index("Paragraph 0")
    page = render_doc(index, s, entry, DocQuery())
    assert page.count("&lt;image&gt;") >= 2 and "7 of 12" in page
    assert f"/doc/kept/{output.kept[5].id}" in page and f"/doc/kept/{output.kept[7].id}" in page
    filtered = render_doc(index, s, entry, DocQuery(domain="news.example.org"))
    assert "2 of 4" in filtered and f"/doc/kept/{output.kept[7].id}?domain=news.example.org" in filtered
    last = render_doc(index, s, index.kept.samples[-1], DocQuery())
    assert 'id="next-doc"' not in last and "12 of 12" in last


def test_report_is_self_contained(output: Output) -> None:
    path = write_report(output.path)
    assert path == output.path / "report.html"
    html = path.read_text(encoding="utf-8")
    assert html.count("<svg") >= 8
    assert "<script" not in html.lower()
    # nothing to fetch: no external stylesheet, image or link target
    assert not re.search(r'(src|href)="(?!#|data:)', html), re.findall(r'(?:src|href)="[^"]*"', html)[:5]
    assert 'id="card-documents"><div class="value">12<' in html
    assert "too_few_words" in html and "news.example.org" in html
    # example documents with their thumbnails inline (data: URIs, which the report's CSP allows)
    assert html.count('class="row example"') == 6 + 3
    thumbs = re.findall(r'<img src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(thumbs) >= 6
    import base64

    with Image.open(io.BytesIO(base64.b64decode(thumbs[0]))) as img:
        assert max(img.size) <= 160


def test_damaged_shards_are_reported_not_fatal(tmp_path: Path) -> None:
    out = build_output(tmp_path / "out")
    shard = out.path / "shard-00001.tar"
    data = shard.read_bytes()
    with tarfile.open(shard) as tar:  # cut inside a member's data (half the file may be a header boundary)
        member = tar.getmembers()[len(tar.getmembers()) // 2]
    shard.write_bytes(data[: member.offset_data + member.size // 2])  # truncated in the middle of a member
    # a sample whose JSON is not JSON, in an extra shard
    with tarfile.open(out.path / "zz-extra.tar", "w") as tar:
        info = tarfile.TarInfo("badkey.json")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"{nope"))
    (out.path / "rejects" / "rejects-00000.tar").unlink()  # listed in rejects/manifest.json
    (out.path / "manifest.json").unlink()  # no manifest: shards are found by glob
    index = CorpusIndex.build(out.path)
    assert any("rejects-00000.tar: listed in the manifest but missing" in e for e in index.errors)
    assert any("shard-00001.tar" in e for e in index.errors)
    assert any("badkey" in e and "bad json" in e for e in index.errors)
    assert 5 + 2 <= len(index.kept.samples) < 12
    s = summarize(index)
    assert s.problems and s.manifest is None
    write_report(out.path)  # still renders
