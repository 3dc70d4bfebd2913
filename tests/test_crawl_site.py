"""The crawl source against a real HTTP server on loopback: scope, robots.txt, refusals, WARC round trip."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from builder.config import parse_config
from builder.context import RunContext
from builder.errors import SourceError
from builder.extract.stage import ExtractStage
from builder.pipeline import run_pipeline
from builder.shards.reader import read_documents
from builder.sources import build_sources
from builder.sources.crawl import read_seeds
from builder.sources.crawl_links import normalise_url, page_links
from tests.factories import image_bytes
from tests.support.http_server import LoopbackServer, redirect, static

PROSE = (
    "The river town kept its old stone bridge, and every spring the water rose to the second arch. "
    "Fishermen mended their nets on the bank while children counted the boats going down to the sea. "
    "Visitors who walked the towpath in the evening could hear the mill wheel turning long after dark. "
)


def html_page(title: str, links: list[str], image: str | None = None, extra: str = "") -> bytes:
    anchors = " ".join(f'<a href="{href}">{href}</a>' for href in links)
    picture = f'<figure><img src="{image}" alt="{title} picture" width="200" height="160"></figure>' if image else ""
    body = (f"<!doctype html><html><head><title>{title}</title></head><body>"
            f"<nav>{anchors}</nav><article><h1>{title}</h1><p>{title}: {PROSE}</p>{picture}"
            f"<p>{PROSE} {title} ends here.</p></article>{extra}</body></html>")
    return body.encode()


@pytest.fixture()
def site():
    with LoopbackServer("127.0.0.2") as server, LoopbackServer("127.0.0.3") as other:
        other.route("/offsite", static(html_page("Elsewhere", []), "text/html"))
        server.set_robots("User-agent: *\nDisallow: /private/\n")
        html = "text/html; charset=utf-8"
        server.route("/", static(html_page("Home", [
            "/a", "/b", "/private/secret", "/old", "/report", "/big", "/file.pdf",
            other.url("/offsite"), "/a#section", "/missing"],
            extra='<a rel="nofollow" href="/nf">no follow</a>'), html))
        server.route("/a", static(html_page("Alpha", ["/a2", "/", "/private/other"], image="/img/a.png"), html))
        server.route("/a2", static(html_page("Alpha two", ["/a3"]), html))
        server.route("/a3", static(html_page("Alpha three", []), html))
        server.route("/b", static(html_page("Bravo", ["/c"], image="/img/b.png"), html))
        server.route("/old", redirect("/c", 301))
        server.route("/c", static(html_page("Charlie", []), html))
        server.route("/report", static(b"%PDF-1.4 not a page", "application/pdf"))
        server.route("/big", static(html_page("Big", []) + b"<p>" + b"x" * 60_000 + b"</p>", html))
        server.route("/file.pdf", static(b"%PDF-1.4", "application/pdf"))
        server.route("/nf", static(html_page("Nofollow", []), html))
        server.route("/private/secret", static(html_page("Secret", []), html))
        server.route("/private/other", static(html_page("Secret 2", []), html))
        server.route("/img/a.png", static(image_bytes(200, 160, (10, 120, 200)), "image/png"))
        server.route("/img/b.png", static(image_bytes(220, 150, (200, 30, 90)), "image/png"))
        yield server, other


def crawl_config(seed: str, warc_dir: Path, **extra) -> dict:
    src = {"type": "crawl", "urls": [seed], "max_depth": 2, "max_page_bytes": 30_000, "warc_dir": str(warc_dir),
           "fetch": {"allow_networks": ["127.0.0.0/8"], "per_host_delay_s": 0.0, "retries": 0}}
    src.update(extra)
    return {"sources": [src], "filters": {"enabled": False},
            "images": {"fetch": {"allow_networks": ["127.0.0.0/8"], "per_host_delay_s": 0.0}},
            "executor": {"workers": 1}}


def crawl_pages(config: dict):
    cfg = parse_config(config)
    source = build_sources(cfg)[0]
    ctx = RunContext(cfg)
    pages = [page for part in source.partitions() for page in source.read(part, ctx)]
    return pages, ctx.stats


def test_crawl_depth_two_respects_robots_scope_and_refusals(site, tmp_path):
    server, other = site
    pages, stats = crawl_pages(crawl_config(server.url("/"), tmp_path / "warc"))
    urls = [p.url for p in pages]
    assert urls == [server.url(p) for p in ("/", "/a", "/b", "/c", "/a2")]  # breadth-first, discovery order
    hits = server.hits
    assert hits["/private/secret"] == 0 and hits["/private/other"] == 0  # robots.txt forbids them
    assert hits["/robots.txt"] == 1  # read once for the host
    assert hits["/a3"] == 0  # depth 3
    assert hits["/file.pdf"] == 0 and hits["/nf"] == 0  # binary link and rel=nofollow: never requested
    assert other.hits["/offsite"] == 0  # another host: out of scope
    # /old redirected to /c before /b's link to /c was due: that link is a duplicate, never requested.
    assert hits["/c"] == 1
    assert hits["/"] == 1 and hits["/a"] == 1  # "/a#section" and the link back to "/" are the same pages
    drops = stats.drops
    assert drops["record.robots_disallowed"] == 2
    assert drops["record.not_html"] == 1 and hits["/report"] == 1
    assert drops["record.too_large"] == 1
    assert drops["record.http_404"] == 1
    assert drops["record.duplicate"] == 1  # /c from /b after /old had already given it
    assert stats.counts["record.out"] == 5
    assert stats.imbalances(("record",)) == []
    # The User-Agent is loom's, on every request.
    assert all("loombot" in headers.get("User-Agent", "") for _, headers in server.log)


def test_crawl_warc_reads_back_to_the_same_documents(site, tmp_path):
    server, _ = site
    warc_dir = tmp_path / "warc"
    config = crawl_config(server.url("/"), warc_dir)
    # 8 requests in flight per host: /b's link to /c is fetched while /old (redirecting to /c) is
    # in flight too, so the second copy of /c is archived as a revisit record.
    config["sources"][0]["fetch"]["per_host_concurrency"] = 8
    pages, _ = crawl_pages(config)
    crawled = list(ExtractStage()(iter(pages), RunContext(parse_config(config))))
    (warc,) = warc_dir.glob("*.warc.gz")

    # Request and response records, WARC/1.1, one gzip member per record.
    with open(warc, "rb") as fh:
        types = [(r.rec_type, r.rec_headers.protocol) for r in ArchiveIterator(fh)]
    assert types[0] == ("warcinfo", "WARC/1.1")
    n_requests = sum(t == "request" for t, _ in types)
    assert n_requests == sum(t in ("response", "revisit") for t, _ in types) >= 8
    assert ("revisit", "WARC/1.1") in types  # the second copy of /c: identical payload, no body
    with open(warc, "rb") as fh:
        uris = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert uris.count(server.url("/robots.txt")) == 1  # the robots.txt that decided what to skip
    members = gzip.decompress(warc.read_bytes()).count(b"WARC/1.1\r\n")
    assert members == len(types)

    hits_before = sum(server.hits.values())
    reread_cfg = parse_config({"sources": [{"type": "warc", "paths": [str(warc_dir)]}]})
    source = build_sources(reread_cfg)[0]
    ctx = RunContext(reread_cfg)
    reread = list(ExtractStage()(
        (p for part in source.partitions() for p in source.read(part, ctx)), ctx))
    assert sum(server.hits.values()) == hits_before  # nothing fetched again

    def view(doc):
        return (doc.url, doc.text(), [n.src for n in doc.images], doc.provenance.warc_offset)

    assert [view(d) for d in reread] == [view(d) for d in crawled]
    assert len(crawled) == 5
    assert ctx.stats.drops["record.http_redirect"] == 1  # the 301 hop was archived too
    assert ctx.stats.drops["record.revisit"] == 1
    assert ctx.stats.drops["record.empty"] == 1  # /big: refused as too large, archived without its body
    assert "doc.empty" not in ctx.stats.drops


def test_crawl_end_to_end_run_and_warc_rerun_give_the_same_shards(site, tmp_path):
    server, _ = site
    out = tmp_path / "out"
    config = crawl_config(server.url("/"), tmp_path / "ignored")
    del config["sources"][0]["warc_dir"]  # default: <out>/crawl-warc
    summary = run_pipeline(parse_config(config), out)
    assert not summary.failed
    docs = {d.url: d for shard in sorted(out.glob("*.tar")) for d in read_documents(shard)}
    assert set(docs) == {server.url(p) for p in ("/", "/a", "/b", "/c", "/a2")}
    assert [len(docs[server.url(p)].images) for p in ("/a", "/b")] == [1, 1]  # pictures fetched into shards
    stats = json.loads((out / "stats.json").read_text())
    assert stats["balance"]["record"]["in"] == stats["balance"]["record"]["out"] + stats["balance"]["record"]["dropped"]
    warcs = list((out / "crawl-warc").glob("*.warc.gz"))
    assert len(warcs) == 1

    # The images the image stage fetched during the crawl are in the crawl's WARC too.
    again = tmp_path / "again"
    rerun = {"sources": [{"type": "warc", "paths": [str(out / "crawl-warc")]}], "filters": {"enabled": False},
             "images": config["images"], "executor": {"workers": 1}}
    hits_before = sum(server.hits.values())
    run_pipeline(parse_config(rerun), again)
    assert sum(server.hits.values()) == hits_before  # pages and pictures: nothing fetched again
    redocs = {d.url: d for shard in sorted(again.glob("*.tar")) for d in read_documents(shard)}
    assert {u: (d.id, d.text()) for u, d in redocs.items()} == {u: (d.id, d.text()) for u, d in docs.items()}
    assert [n.data for d in redocs.values() for n in d.images] == [n.data for d in docs.values() for n in d.images]
    restats = json.loads((again / "stats.json").read_text())
    assert restats["counts"]["image.source.warc"] == 2


def test_seeds_file_partitions_keep_a_site_whole(tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# seeds\nhttp://127.0.0.2:1/a\n\nhttp://127.0.0.3:1/x\nhttp://127.0.0.2:1/b\n"
                     "http://127.0.0.3:1/y\nhttp://127.0.0.4:1/z\n")
    cfg = parse_config({"sources": [{"type": "crawl", "seeds": "seeds.txt", "seeds_per_partition": 2}]},
                       base_dir=tmp_path)
    parts = build_sources(cfg)[0].partitions()
    assert [sorted(p.items) for p in parts] == [
        ["http://127.0.0.2:1/a", "http://127.0.0.2:1/b"],
        ["http://127.0.0.3:1/x", "http://127.0.0.3:1/y"],
        ["http://127.0.0.4:1/z"],
    ]
    assert [p.id for p in parts] == [p.id for p in build_sources(cfg)[0].partitions()]  # stable


def test_bad_seed_file_is_a_clear_error(tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("http://ok.example/\nftp://nope.example/\n")
    with pytest.raises(SourceError, match=r"seeds.txt:2: not an http\(s\) URL"):
        read_seeds(seeds)
    with pytest.raises(Exception, match="needs `seeds`"):
        parse_config({"sources": [{"type": "crawl"}]})


def test_budget_limits_fetches_and_counts_seeds_left_out(site, tmp_path):
    server, _ = site
    config = crawl_config(server.url("/"), tmp_path / "warc", max_pages=3)
    config["sources"][0]["urls"] = [server.url("/"), server.url("/b"), server.url("/c"), server.url("/a")]
    pages, stats = crawl_pages(config)
    assert [p.url for p in pages] == [server.url(p) for p in ("/", "/b", "/c")]
    assert stats.drops["record.over_budget"] == 1  # the fourth seed
    assert stats.counts["crawl.links_over_budget"] > 0
    assert server.hits["/a"] == 0
    assert stats.imbalances(("record",)) == []


def test_links_resolve_base_and_skip_nofollow_pages():
    body = (b'<html><head><base href="http://h.example/dir/"><meta name="robots" content="index">'
            b'</head><body><a href="x.html#top">x</a><a href="HTTP://H.EXAMPLE:80/y">y</a>'
            b'<a href="mailto:a@b">m</a><a href="x.html">again</a></body></html>')
    links, skipped = page_links(body, "http://h.example/page")
    assert links == ["http://h.example/dir/x.html", "http://h.example/y"]
    nofollow = b'<html><head><meta name="robots" content="noindex, nofollow"></head><a href="/z">z</a></html>'
    assert page_links(nofollow, "http://h.example/") == ([], 0)
    assert page_links(nofollow, "http://h.example/", follow_nofollow=True)[0] == ["http://h.example/z"]
    assert normalise_url("https://Example.org:443") == "https://example.org/"
    assert normalise_url("ftp://example.org/") is None


def test_noai_header_and_opt_out_list_refuse_pages(site, tmp_path):
    server, _ = site
    server.route("/noai", static(html_page("No AI", []), "text/html", headers={"X-Robots-Tag": "loombot: noai"}))
    server.route("/other-bot", static(html_page("Other", []), "text/html", headers={"X-Robots-Tag": "otherbot: noai"}))
    (tmp_path / "optout.txt").write_text(server.url("/b") + "\n")
    config = crawl_config(server.url("/noai"), tmp_path / "warc")
    config["sources"][0]["urls"] = [server.url(p) for p in ("/noai", "/other-bot", "/b")]
    config["sources"][0]["fetch"]["optout_file"] = "optout.txt"
    cfg = parse_config(config, base_dir=tmp_path)
    source = build_sources(cfg)[0]
    ctx = RunContext(cfg)
    pages = [p for part in source.partitions() for p in source.read(part, ctx)]
    assert [p.url for p in pages] == [server.url("/other-bot")]
    assert ctx.stats.drops["record.noai"] == 1 and ctx.stats.drops["record.opted_out"] == 1
    assert server.hits["/b"] == 0


def test_a_seed_that_redirects_to_another_host_moves_its_site(tmp_path):
    with LoopbackServer("127.0.0.2") as old, LoopbackServer("127.0.0.3") as new:
        new.route("/", static(html_page("New home", ["/n1", old.url("/stay-away")]), "text/html"))
        new.route("/n1", static(html_page("New one", []), "text/html"))
        old.route("/", redirect(new.url("/"), 301))
        pages, stats = crawl_pages(crawl_config(old.url("/"), tmp_path / "warc"))
        assert [p.url for p in pages] == [new.url("/"), new.url("/n1")]
        assert old.hits["/stay-away"] == 0 and stats.counts["crawl.links_off_site"] == 1


def test_seed_lines_may_carry_comments(tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("http://a.example/  # the first\n  # nothing\nhttps://b.example/x\tfrom a list\n")
    assert read_seeds(seeds) == ["http://a.example/", "https://b.example/x"]


def test_one_slow_site_does_not_hold_up_the_others(tmp_path):
    with LoopbackServer("127.0.0.2") as slow, LoopbackServer("127.0.0.3") as fast:
        for i in range(6):
            slow.route(f"/s{i}", static(html_page(f"Slow {i}", []), "text/html", delay_s=0.4))
            fast.route(f"/f{i}", static(html_page(f"Fast {i}", []), "text/html"))
        config = crawl_config(slow.url("/s0"), tmp_path / "warc", threads=4)
        config["sources"][0]["urls"] = [slow.url(f"/s{i}") for i in range(6)] + [fast.url(f"/f{i}") for i in range(6)]
        config["sources"][0]["fetch"]["per_host_concurrency"] = 1
        pages, stats = crawl_pages(config)
        assert fast.hits == {f"/f{i}": 1 for i in range(6)} | {"/robots.txt": 1}
        assert len(pages) == 12 and stats.imbalances(("record",)) == []
        # Threads are not all parked waiting for the slow host's slot: the two sites alternate.
        assert [p.url.rsplit("/", 1)[1] for p in pages[:4]] == ["s0", "f0", "s1", "f1"]
