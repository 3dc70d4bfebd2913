"""The image stage end to end: loopback hosts, archive and cache sources, order, counted drops."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, ImageNode, TextNode
from builder.images.config import ImagesConfig
from builder.images.stage import ImageStage
from builder.net.config import FetchConfig
from tests.factories import image_bytes
from tests.support.http_server import LoopbackHosts, endless, sequence, static, status

JPEG = image_bytes(1200, 800, fmt="JPEG")
PNG = image_bytes(300, 200, fmt="PNG")


def images_config(tmp_path=None, **overrides) -> ImagesConfig:
    fetch = FetchConfig(allow_networks=["127.0.0.0/8"], total_timeout_s=2.0, read_timeout_s=1.0,
                        backoff_base_s=0.05, max_bytes=4 << 20)
    cfg = dict(threads=8, max_docs_in_flight=8, fetch=fetch)
    if tmp_path is not None:
        cfg["cache_dir"] = str(tmp_path / "cache")
    cfg.update(overrides)
    return ImagesConfig(**cfg)


def doc(i: int, urls: list[str], **metadata) -> Document:
    nodes: list = [TextNode(f"page {i}")]
    for url in urls:
        nodes.append(ImageNode(url))
        nodes.append(TextNode("after"))
    return Document(f"d{i}", f"http://127.0.0.1/p{i}.html", nodes, dict(metadata))


@pytest.fixture(scope="module")
def hosts():
    with LoopbackHosts(3, first=20) as hosts:
        a, b, c = hosts
        a.route("/big.jpg", static(JPEG, "image/jpeg", delay_s=0.05))
        a.route("/small.png", static(PNG, "image/png"))
        a.route("/noai.jpg", static(JPEG, "image/jpeg", headers=[("X-Robots-Tag", "loombot: noai")]))
        a.route("/other-noai.jpg", static(JPEG, "image/jpeg", headers=[("X-Robots-Tag", "otherbot: noai")]))
        # Two header lines: the scope of the first must not swallow the second.
        a.route("/two-lines.jpg", static(JPEG, "image/jpeg",
                                         headers=[("X-Robots-Tag", "otherbot: noindex"), ("X-Robots-Tag", "noai")]))
        a.route("/page.html", static(b"<html><body>hi</body></html>", "text/html"))
        a.route("/truncated.jpg", static(JPEG[: len(JPEG) // 3], "image/jpeg"))
        a.route("/icon.svg", static(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"))
        a.route("/endless.jpg", endless())
        a.route("/flaky.png", sequence(status(503), static(PNG, "image/png")))
        b.set_robots("User-agent: *\nDisallow: /private/\n")
        b.route("/private/a.jpg", static(JPEG, "image/jpeg"))
        b.route("/slow.png", static(PNG, "image/png", delay_s=0.2))
        c.route("/gone.png", status(404))
        yield hosts


def run(stage: ImageStage, docs: list[Document], ctx: RunContext | None = None):
    ctx = ctx or RunContext(LoomConfig())
    return list(stage(docs, ctx)), ctx


def test_reasons_order_and_stored_bytes(hosts):
    a, b, c = hosts
    cases = {
        a.url("/big.jpg"): None,
        a.url("/small.png"): None,
        a.url("/noai.jpg"): "image.noai",
        a.url("/other-noai.jpg"): None,
        a.url("/two-lines.jpg"): "image.noai",
        a.url("/page.html"): "image.wrong_content_type",
        a.url("/truncated.jpg"): "image.truncated",
        a.url("/icon.svg"): "image.svg",
        a.url("/endless.jpg"): "image.too_large",
        a.url("/flaky.png"): None,
        b.url("/private/a.jpg"): "image.robots_disallowed",
        c.url("/gone.png"): "image.http_404",
        "http://10.0.0.1/internal.png": "image.ssrf_blocked",
    }
    urls = list(cases)
    docs = [doc(i, [url, urls[(i + 1) % len(urls)]]) for i, url in enumerate(urls)]
    with ImageStage(images_config(max_docs_in_flight=16)) as stage:
        out, ctx = run(stage, docs)
    assert [d.id for d in out] == [d.id for d in docs]  # input order kept, nothing dropped
    expected_drops = sum(2 for v in cases.values() if v)
    assert sum(ctx.stats.drops.values()) == expected_drops
    for reason in {v for v in cases.values() if v}:
        assert ctx.stats.drops[reason] == 2 * list(cases.values()).count(reason), reason
    for d in out:
        for node in d.images:
            assert node.data and node.info["sha256"] and node.info["phash"]
            assert node.info["source"] == "http"
            assert max(node.info["width"], node.info["height"]) <= 980
            assert Image.open(io.BytesIO(node.data)).format == "JPEG" and node.ext == "jpg"
    big = next(n for d in out for n in d.images if n.src.endswith("/big.jpg"))
    assert (big.info["original_width"], big.info["width"]) == (1200, 980)
    # each URL in the window was fetched once even though two documents use it
    assert a.hits["/big.jpg"] == 1
    assert ctx.stats.counts["image.source.http"] == 2 * sum(1 for v in cases.values() if v is None)


def test_meta_robots_noai_drops_all_images_without_fetching(hosts):
    a = hosts[0]
    before = a.hits["/small.png"]
    with ImageStage(images_config()) as stage:
        out, ctx = run(stage, [doc(0, [a.url("/small.png")] * 3, robots=["noindex", "noimageai"])])
    assert out[0].images == [] and ctx.stats.drops["image.noai"] == 3
    assert a.hits["/small.png"] == before


class DictArchive:
    def __init__(self, items: dict[str, tuple[bytes, dict[str, str]]]) -> None:
        self.items = items

    def get(self, url: str):
        return self.items.get(url)


def test_sources_in_order_warc_then_cache_then_http(hosts, tmp_path):
    a = hosts[0]
    archived_url = "http://archive.example/only-in-warc.png"
    noai_url = "http://archive.example/noai.png"
    ctx = RunContext(LoomConfig())
    ctx.image_archive = DictArchive({
        archived_url: (PNG, {"content-type": "image/png"}),
        noai_url: (PNG, {"x-robots-tag": "noai"}),
    })
    cfg = images_config(tmp_path)
    hits = a.hits["/small.png"]
    with ImageStage(cfg) as stage:
        out, ctx = run(stage, [doc(0, [archived_url, noai_url, a.url("/small.png")])], ctx)
    assert [n.info["source"] for n in out[0].images] == ["warc", "http"]
    assert ctx.stats.drops["image.noai"] == 1
    assert a.hits["/small.png"] == hits + 1
    with ImageStage(cfg) as stage:  # a new stage, same cache: no network
        out, ctx2 = run(stage, [doc(1, [a.url("/small.png")])])
    assert out[0].images[0].info["source"] == "cache" and ctx2.stats.counts["image.source.cache"] == 1
    assert a.hits["/small.png"] == hits + 1


def test_streams_with_bounded_window(hosts):
    b = hosts[1]
    produced = []

    def source():
        for i in range(40):
            produced.append(i)
            yield doc(i, [b.url("/slow.png")] if i % 2 else [])

    with ImageStage(images_config(max_docs_in_flight=4)) as stage:
        ctx = RunContext(LoomConfig())
        seen = []
        for d in stage(source(), ctx):
            seen.append(int(d.id[1:]))
            assert len(produced) - len(seen) <= 4  # never more than the window ahead
    assert seen == list(range(40))


def test_noindex_can_be_allowed(hosts):
    a = hosts[0]
    a.route("/noindex.png", static(PNG, "image/png", headers={"X-Robots-Tag": "noimageindex"}))
    with ImageStage(images_config()) as stage:
        out, ctx = run(stage, [doc(0, [a.url("/noindex.png")])])
    assert ctx.stats.drops["image.noindex"] == 1
    cfg = images_config(policy={"noindex_blocks": False})
    with ImageStage(cfg) as stage:
        out, ctx = run(stage, [doc(0, [a.url("/noindex.png")])])
    assert len(out[0].images) == 1


def test_concurrency_across_documents(hosts):
    b = hosts[1]
    # 16 documents, each one 0.2 s image: serial would take 3.2 s.
    b.route("/slow2.png", static(PNG, "image/png", delay_s=0.2))
    docs = [doc(i, [b.url(f"/slow2.png?{i}")]) for i in range(16)]
    with ImageStage(images_config(threads=16, max_docs_in_flight=16)) as stage:
        start = time.monotonic()
        out, ctx = run(stage, docs)
        took = time.monotonic() - start
    assert sum(len(d.images) for d in out) == 16
    assert took < 2.0


def test_decoding_in_worker_processes_keeps_reasons(hosts):
    a = hosts[0]
    urls = [a.url("/small.png"), a.url("/truncated.jpg"), a.url("/big.jpg")]
    with ImageStage(images_config(decode_processes=1)) as stage:
        out, ctx = run(stage, [doc(0, urls)])
    assert [n.src for n in out[0].images] == [urls[0], urls[2]]
    assert ctx.stats.drops["image.truncated"] == 1
    assert out[0].images[1].info["width"] == 980
