"""The viewer explains outcomes: removals in place, thresholds, pipeline order, text search, the original page.

No browser here (tests/test_inspect_layout.py drives Chromium); pages are fetched over a real
loopback socket where the HTTP route matters.
"""

from __future__ import annotations

import http.client
import re
from pathlib import Path
from typing import Iterator

import pytest
from test_inspect_corpus import build_output

from builder.cli import main as loom_main
from builder.inspect.corpus_index import KEPT, REJECTS, CorpusIndex
from builder.inspect.funnel import build_funnels
from builder.inspect.original import read_original
from builder.inspect.pipeline_order import step_of
from builder.inspect.query import DocQuery
from builder.inspect.render import document_nodes, merge_removed, rejects_hint
from builder.inspect.report import render_report
from builder.inspect.server import InspectApp, serve_in_thread
from builder.inspect.summary import summarize
from builder.inspect.svg import Marker, count_into, histogram_svg, linear_bins
from builder.inspect.text_search import TextIndex, parse_query, snippet
from builder.inspect.thresholds import score_thresholds
from tests.support.inspect_removals import RemovalsOutput, build_removals_output


@pytest.fixture(scope="module")
def removals(tmp_path_factory: pytest.TempPathFactory) -> RemovalsOutput:
    out = build_removals_output(tmp_path_factory.mktemp("removals") / "out")
    assert loom_main(["validate", str(out.path), "--integrity-only"]) in (0, 1)  # a real validation report
    return out


@pytest.fixture(scope="module")
def index(removals: RemovalsOutput) -> CorpusIndex:
    return CorpusIndex.build(removals.path)


@pytest.fixture(scope="module")
def port(removals: RemovalsOutput) -> Iterator[int]:
    app = InspectApp(removals.path)
    assert app.text.wait(30)
    server, thread = serve_in_thread(app)
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(5)
    app.close()


def get(port: int, path: str) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", "replace")
    conn.close()
    return resp.status, resp.getheader("Content-Type") or "", body


# -- removals -------------------------------------------------------------------------------

def test_removed_paragraphs_and_images_go_back_where_they_stood(removals: RemovalsOutput,
                                                                 index: CorpusIndex) -> None:
    entry = index.get(KEPT, removals.garden.key)
    assert entry is not None
    nodes = document_nodes(index.read_json(entry), entry)
    shown = [(n["kind"], n.get("reason", ""), n.get("text") or n.get("src") or n.get("member")) for n in nodes]
    assert shown == [
        ("text", "", "Garden notes"),
        ("text", "", "Tomatoes like a warm and sunny wall."),
        ("text", "paragraph.special_chars", "Subscribe now!!!"),
        ("image", "image.banned_url_word", "https://garden.test/ad.gif"),
        ("image", "", "https://garden.test/tomato.jpg"),
        ("text", "paragraph.words_below_min", "Share"),
    ]
    rejected = index.get(REJECTS, removals.emptied.key)
    assert rejected is not None
    nodes = document_nodes(index.read_json(rejected), rejected)
    assert [(n["kind"], n["removed"]) for n in nodes] == [("text", True), ("image", False), ("text", True)]


def test_merge_keeps_removals_with_odd_positions() -> None:
    kept = [{"id": "a"}, {"id": "b"}]

    def removal(position: object) -> dict:
        return {"removed": True, "position": position, "id": f"r{position}"}

    merged = merge_removed(kept, [removal(9), removal(None), removal(0), removal(-1)])
    assert [n["id"] for n in merged] == ["r0", "a", "b", "r9", "rNone", "r-1"]  # nothing lost


def test_index_counts_removals_and_filters_by_them(removals: RemovalsOutput, index: CorpusIndex) -> None:
    garden = index.get(KEPT, removals.garden.key)
    assert garden is not None
    assert garden.removed_reasons == ("image.banned_url_word", "paragraph.special_chars",
                                      "paragraph.words_below_min")
    assert (garden.n_removed_texts, garden.n_removed_images) == (2, 1)
    assert index.kept.removed["paragraph.special_chars"] == 1
    assert index.rejects.removed == {"paragraph.stopwords": 1}
    found = DocQuery(removed="image.banned_url_word").select(index)
    assert [e.key for e in found] == [removals.garden.key]
    assert DocQuery(subset=REJECTS, removed="paragraph.stopwords").select(index)[0].key == removals.emptied.key


def test_funnel_reasons_link_to_the_documents_they_touched(index: CorpusIndex) -> None:
    links = summarize(index).reason_links
    assert links["doc.no_text_left"] == "/docs?subset=rejects&reason=doc.no_text_left"
    assert links["paragraph.special_chars"] == "/docs?removed=paragraph.special_chars"
    assert links["image.banned_url_word"] == "/docs?removed=image.banned_url_word"
    assert links["paragraph.stopwords"] == "/docs?subset=rejects&removed=paragraph.stopwords"
    assert "image.in_dropped_doc" not in links  # nothing to show for it


def test_a_run_without_rejects_says_how_to_keep_them(tmp_path: Path, index: CorpusIndex) -> None:
    out = build_removals_output(tmp_path / "out", keep_rejects=False)
    summary = summarize(CorpusIndex.build(out.path))
    hint = rejects_hint(summary)
    assert "dropped 1 documents but kept none" in hint and "shards.keep_rejects: true" in hint
    assert rejects_hint(summarize(index)) == ""


# -- funnel order, thresholds, charts --------------------------------------------------------

@pytest.mark.parametrize(("reason", "step"), [
    ("record.http_error", "source"), ("doc.not_html", "extract"), ("image.tracking_pixel", "extract"),
    ("image.duplicate_in_page", "extract"), ("doc.blocked_domain", "domain blocklist"),
    ("image.blocked_domain", "domain blocklist"), ("paragraph.stopwords", "text filters"),
    ("doc.words_below_min", "text filters"), ("doc.no_text_left", "text filters"),
    ("image.banned_url_word", "image URL filter"), ("image.dns_error", "image fetch"),
    ("image.noai", "image fetch"), ("image.truncated", "image decode"), ("image.too_small", "image filters"),
    ("doc.no_image_left", "document rules"), ("doc.near_duplicate", "dedup"),
    ("image.in_dropped_doc", "dropped with its document"), ("image.some_new_error", "image fetch"),
])
def test_each_reason_has_its_pipeline_step(reason: str, step: str) -> None:
    assert step_of(reason) == step


def test_funnel_follows_the_pipeline_and_the_configs_check_order() -> None:
    stats = {"counts": {"doc.in": 100, "doc.out": 40, "paragraph.in": 90, "paragraph.out": 20},
             "drops": {"doc.duplicate": 30, "doc.words_below_min": 1, "doc.no_image_left": 20, "doc.stopwords": 9,
                       "paragraph.stopwords": 50, "paragraph.words_above_max": 5, "paragraph.in_dropped_doc": 15}}
    config = {"filters": {"paragraph": {"words": {}, "stopwords": {}}, "document": {"words": {}, "stopwords": {}}}}
    funnels = {f.unit: f for f in build_funnels(stats, config)}
    assert [s.reason for s in funnels["doc"].steps] == [
        "doc.words_below_min", "doc.stopwords", "doc.no_image_left", "doc.duplicate"]
    assert [s.remaining for s in funnels["doc"].steps] == [99, 90, 70, 40]
    assert [s.reason for s in funnels["paragraph"].steps] == [
        "paragraph.words_above_max", "paragraph.stopwords", "paragraph.in_dropped_doc"]


DEMO_FILTERS = {"filters": {
    "enabled": True, "languages": ["en"],
    "document": {"words": {"enabled": True, "min": 10, "max": 2000},
                 "special_chars": {"enabled": True, "max": 0.275}, "stopwords": {"enabled": True, "min": 0.35},
                 "spam": {"enabled": True, "less_than": 0.12}, "flagged_words": {"enabled": False, "max": 0.01},
                 "lang": {"enabled": True, "min_score": 0.8}},
    "rules": {"min_images": 1, "max_images": 30}}}


@pytest.mark.parametrize(("score", "expected"), [
    ("words", [(10, "min"), (2000, "max")]), ("special_char_ratio", [(0.275, "max")]),
    ("stopword_ratio", [(0.35, "min")]), ("spam_ratio", [(0.12, "max")]), ("lang_en", [(0.8, "min")]),
    ("lang_fr", []), ("images", [(1, "min"), (30, "max")]), ("flagged_word_ratio", []), ("quality", []),
])
def test_thresholds_come_from_the_runs_config(score: str, expected: list) -> None:
    assert [(t.value, t.side) for t in score_thresholds(score, DEMO_FILTERS)] == expected
    assert score_thresholds(score, {"filters": {**DEMO_FILTERS["filters"], "enabled": False}}) == []


def test_score_histogram_draws_threshold_and_both_sets() -> None:
    kept, rejected = [0.4, 0.5, 0.55, 0.6], [0.1, 0.2]
    bins = linear_bins(kept, quantile=1.0, from_zero=False, include=[0.35, *rejected])
    svg = histogram_svg(bins, "score", second=count_into(bins, rejected), legend=("kept", "rejected"),
                        markers=[Marker(0.35, "min 0.35", "min")])
    assert sum(b.count for b in bins) == 4 and sum(count_into(bins, rejected)) == 2
    assert 'data-value="0.35"' in svg and "min 0.35" in svg
    assert svg.count("<rect") == 2 * len(bins) + 2  # two bars a bin, two legend swatches
    line_x = float(re.search(r'class="threshold".*?x1="([\d.]+)"', svg).group(1))
    bars = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="(#\w+)"><title>', svg)
    kept_bars = [float(x) for x, h, fill in bars if fill == "#4c78a8" and float(h) > 0]
    rejected_bars = [float(x) for x, h, fill in bars if fill == "#e45756" and float(h) > 0]
    assert max(rejected_bars) < line_x < min(kept_bars)  # 0.1, 0.2 | 0.35 | 0.4 …


def test_integer_scores_get_whole_number_ticks(removals: RemovalsOutput, index: CorpusIndex) -> None:
    bins = linear_bins([0, 2, 3, 3], quantile=1.0, from_zero=False, integer=True, include=[1])
    assert [b.label for b in bins] == ["0", "1", "2", "3"] and all(b.centered for b in bins)
    chart = next(c for c in summarize(index).charts if c.title == "score words")
    ticks = re.findall(r'text-anchor="middle"[^>]*>([^<]+)</text>', chart.svg)
    assert ticks and all(re.fullmatch(r"≥?\d+(k)?", t) for t in ticks), ticks
    assert 'data-value="5"' in chart.svg  # min 5 words drawn; max 2000 is off the chart, with an arrow
    assert "max 2000 →" in chart.svg


# -- text search ----------------------------------------------------------------------------

def test_text_index_finds_words_phrases_prefixes_and_ignores_accents(tmp_path: Path) -> None:
    output = build_output(tmp_path / "out")
    index = CorpusIndex.build(output.path)
    text = TextIndex(index, tmp_path)
    text.build()
    assert text.ready and text.indexed == 15 and not text.error
    n = 7  # "Paragraph 0 of document 7" is only in document 7
    hits = text.search(KEPT, f'"document {n}" paragraph')
    assert [index.kept.samples[p].key for p in hits] == [output.kept[n].id]
    assert len(text.search(KEPT, "paragr*")) == sum(1 for d in output.kept if len(d.images))
    assert text.search(KEPT, 'AND OR NOT "') == text.search(KEPT, "and or not")  # operators are words
    assert text.search(REJECTS, "document") and text.search(KEPT, "zzzz") == []
    # ranked: the document that repeats "word" most comes first
    ranked = text.search(KEPT, "word")
    assert text.ranked(KEPT, "word")
    assert index.kept.samples[ranked[0]].words == max(index.kept.samples[p].words for p in ranked)
    text.rank_limit = 3  # too many matches to rank: the first ones in shard order, none lost
    assert not text.ranked(KEPT, "word") and text.search(KEPT, "word") == sorted(ranked)
    assert text.search(KEPT, "word", limit=2) == sorted(ranked)[:2]


def test_snippets_mark_the_matches() -> None:
    text = "Le marché du samedi matin. " + "filler " * 40 + "Le MARCHE encore."
    parts = snippet(text, "marche")
    assert [p for p, hit in parts if hit] == ["marché"]
    assert snippet(text, "sam*")[1] == ("samedi", True)
    assert snippet(text, "absent") == []
    assert [t.text for t in parse_query('one "two three" four*')] == ["one", "two three", "four"]


def test_search_page_over_http(port: int, removals: RemovalsOutput) -> None:
    status, _, body = get(port, "/docs?text=sunny")
    assert status == 200 and "1 found" in body and "<mark>sunny</mark>" in body
    status, _, body = get(port, "/docs?subset=rejects&text=pills")  # only in paragraphs the filters removed
    assert status == 200 and removals.emptied.key in body and "removed: " in body and "<mark>pills</mark>" in body
    status, _, body = get(port, "/docs?text=tomato")
    assert "0 found" in body and "add * for a prefix" in body


# -- the original page, the validation report, thumbnails -----------------------------------

def test_original_warc_record_and_html_file(removals: RemovalsOutput, tmp_path: Path) -> None:
    prov = removals.garden.data["provenance"]
    original = read_original(prov, removals.path)
    assert original is not None and not original.error
    assert "<script>alert('page script')</script>" in original.html
    assert original.http_status == "200 OK" and ("WARC-Type", "response") in original.warc_headers
    moved = read_original({**prov, "warc_record_id": "<urn:uuid:other>"}, removals.path)
    assert moved is not None and "the archive changed" in moved.error
    remote = read_original({**prov, "warc_file": "https://data.commoncrawl.org/x.warc.gz"}, removals.path)
    assert remote is not None and remote.fetch_hint.startswith(f"curl -s -r {prov['warc_offset']}-")
    missing = read_original({**prov, "warc_file": str(tmp_path / "gone.warc.gz")}, removals.path)
    assert missing is not None and "not found" in missing.error
    html = read_original(removals.long.data["provenance"], removals.path)
    assert html is not None and "very long metadata" in html.html
    assert read_original({"url": "https://x.test/", "source": "obelics"}, removals.path) is None
    assert read_original({"file": "/etc/passwd"}, removals.path) is None  # only HTML files


def test_source_route_shows_the_page_as_text(port: int, removals: RemovalsOutput) -> None:
    status, ctype, body = get(port, f"/source/kept/{removals.garden.key}")
    assert status == 200 and ctype.startswith("text/html")
    assert "&lt;script&gt;alert(&#39;page script&#39;)&lt;/script&gt;" in body and "<script>" not in body
    status, ctype, body = get(port, f"/source/kept/{removals.garden.key}/raw")
    assert status == 200 and ctype.startswith("text/plain") and "<script>alert('page script')" in body
    assert get(port, f"/source/kept/{removals.plain.key}")[0] == 404  # no provenance to follow
    assert get(port, f"/source/kept/{removals.garden.key}/../../etc")[0] == 404


def test_dashboard_links_the_validation_report(port: int, index: CorpusIndex) -> None:
    validation = summarize(index).validation
    assert validation is not None and validation.has_html and validation.status in ("passed", "failed")
    status, _, body = get(port, "/")
    assert 'href="/files/validation/report.html"' in body
    status, ctype, page = get(port, "/files/validation/report.html")
    assert status == 200 and ctype.startswith("text/html") and "integrity" in page
    assert get(port, "/files/validation/../stats.json")[0] == 404


def test_thumbnails_and_images_link_to_the_full_image(port: int, removals: RemovalsOutput) -> None:
    key = removals.garden.key
    _, _, listing = get(port, "/docs")
    assert f'<a href="/image/kept/{key}/0.jpg" target="_blank"' in listing
    _, _, page = get(port, f"/doc/kept/{key}")
    assert f'<a href="/image/kept/{key}/0.jpg" target="_blank" class="full-image"' in page


def test_report_shows_what_was_removed(removals: RemovalsOutput) -> None:
    html = render_report(removals.path)
    assert '<span class="reason">paragraph.stopwords</span> ×2' in html  # the emptied reject, and why
    assert "<del>Buy cheap pills online now Best prices best pills</del>" in html
    assert 'href="validation/report.html"' in html  # relative: the report travels with its folder
