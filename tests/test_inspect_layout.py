"""The viewer's layouts in a real headless Chromium, at 1366 px (laptop) and 800 px (narrow) wide.

Set LOOM_SCREENSHOTS=DIR to keep a full-page screenshot of every page checked here (to look at
them; the assertions below are what the suite holds the layout to).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from test_inspect_browser import launch, sync_api
from test_inspect_corpus import Output, build_output

from builder.cli import main as loom_main
from builder.inspect.server import InspectApp, serve_in_thread
from tests.support.inspect_removals import RemovalsOutput, build_removals_output

WIDTHS = (1366, 800)
SHOTS = os.environ.get("LOOM_SCREENSHOTS")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[RemovalsOutput, Output]:
    root = tmp_path_factory.mktemp("layout")
    removals = build_removals_output(root / "removals" / "out")
    assert loom_main(["validate", str(removals.path), "--integrity-only"]) in (0, 1)
    return removals, build_output(root / "corpus")


def _serve(path: Path) -> tuple[InspectApp, object, object]:
    app = InspectApp(path)
    assert app.text.wait(30)
    server, thread = serve_in_thread(app)
    return app, server, thread


@pytest.fixture(scope="module")
def urls(outputs: tuple[RemovalsOutput, Output]) -> Iterator[tuple[str, str]]:
    served = [_serve(outputs[0].path), _serve(outputs[1].path)]
    yield tuple(f"http://127.0.0.1:{server.server_address[1]}" for _, server, _ in served)  # type: ignore[misc]
    for app, server, thread in served:
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]
        thread.join(5)  # type: ignore[attr-defined]
        app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        chromium = launch(pw)
        yield chromium
        chromium.close()


def open_page(browser, base: str, width: int):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    return context, page


def measure(page, name: str) -> dict:  # type: ignore[no-untyped-def]
    """Document width and height, and the widest element sticking out of the viewport."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)
    return page.evaluate("""() => {
        const d = document.documentElement, vw = d.clientWidth;
        const out = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > vw + 1)
            .map(e => e.tagName + '.' + e.className);
        return {width: d.scrollWidth, client: vw, height: d.scrollHeight, outside: out.slice(0, 5)};
    }""")


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_window(browser, urls: tuple[str, str], outputs, width: int) -> None:  # type: ignore[no-untyped-def]
    removals, corpus = outputs
    pages = {
        urls[0]: ["/", "/docs", f"/doc/kept/{removals.garden.key}", f"/doc/kept/{removals.long.key}",
                  f"/doc/rejects/{removals.emptied.key}", f"/source/kept/{removals.garden.key}"],
        urls[1]: ["/", f"/doc/kept/{corpus.kept[3].id}"],
    }
    for base, paths in pages.items():
        context, page = open_page(browser, base, width)
        for path in paths:
            page.goto(path)
            name = f"layout-{width}-{'corpus' if base == urls[1] else 'removals'}{path}".replace("/", "_")
            size = measure(page, name.replace("?", "_").replace("&", "_").replace("=", "-"))
            assert size["width"] <= size["client"], (path, size)
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_long_metadata_does_not_stretch_the_page(browser, urls, outputs, width: int) -> None:  # type: ignore[no-untyped-def]
    long = outputs[0].long
    context, page = open_page(browser, urls[0], width)
    page.goto(f"/doc/kept/{long.key}")
    size = measure(page, f"long-metadata-{width}")
    # 5,000 characters of description, a 620-character URL and 200 keywords: clipped, not laid out
    assert size["height"] < (1400 if width > 900 else 1800), size
    assert page.locator("#doc-metadata details.clip").count() == 3
    page.click("#doc-metadata details.clip summary >> nth=1")  # open the description: it scrolls in its box
    assert page.locator("#doc-metadata .clipped").nth(1).is_visible()
    assert measure(page, f"long-metadata-open-{width}")["height"] < size["height"] + 300
    context.close()


def test_narrow_window_stacks_the_document_and_its_facts(browser, urls, outputs) -> None:  # type: ignore[no-untyped-def]
    key = outputs[0].garden.key
    boxes = {}
    for width in WIDTHS:
        context, page = open_page(browser, urls[0], width)
        page.goto(f"/doc/kept/{key}")
        boxes[width] = (page.locator("#nodes").bounding_box(), page.locator("aside.side").bounding_box())
        context.close()
    (text, side) = boxes[1366]
    assert side["x"] > text["x"] + text["width"] - 1  # side by side
    (text, side) = boxes[800]
    assert side["y"] >= text["y"] + text["height"] - 1 and text["width"] > 700  # stacked, full width


def test_score_chips_hide_behind_one_toggle(browser, urls, outputs) -> None:  # type: ignore[no-untyped-def]
    doc = outputs[1].kept[6]
    context, page = open_page(browser, urls[1], 1366)
    page.goto(f"/doc/kept/{doc.id}")
    chips = page.locator("#nodes .chips")
    assert chips.count() >= len(doc.texts) and not any(c.is_visible() for c in chips.all())
    assert page.locator("#nodes .node.text p").first.is_visible()
    page.click("label[for=show-scores]")
    assert all(c.is_visible() for c in chips.all())
    context.close()


def test_training_text_wraps(browser, urls, outputs) -> None:  # type: ignore[no-untyped-def]
    context, page = open_page(browser, urls[1], 800)
    page.goto(f"/doc/kept/{outputs[1].kept[11].id}")  # the longest paragraphs of the corpus
    page.click("#training-text summary")
    pre = page.locator("#training-text pre")
    assert "<image>" in pre.inner_text()
    assert pre.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    context.close()


def test_removed_nodes_are_struck_through_in_place(browser, urls, outputs) -> None:  # type: ignore[no-untyped-def]
    removals = outputs[0]
    context, page = open_page(browser, urls[0], 1366)
    for subset, sample, expected in (
        ("kept", removals.garden, ["", "", "paragraph.special_chars", "image.banned_url_word", "",
                                   "paragraph.words_below_min"]),
        ("rejects", removals.emptied, ["paragraph.stopwords", "", "paragraph.stopwords"]),
    ):
        page.goto(f"/doc/{subset}/{sample.key}")
        nodes = page.locator("#nodes > .node")
        assert [n.get_attribute("data-reason") or "" for n in nodes.all()] == expected
        struck = page.locator("#nodes .node.removed del")
        assert struck.count() == sum(1 for r in expected if r)
        style = struck.first.evaluate("e => getComputedStyle(e).textDecorationLine")
        assert "line-through" in style
        assert page.locator("#removed-summary").is_visible()
    assert "Subscribe now!!!" not in page.locator("#training-text").inner_text()  # not what the model reads
    page.click("label[for=hide-removed]")  # one click hides them all, to read what is left
    assert not any(n.is_visible() for n in page.locator("#nodes .node.removed").all())
    assert page.locator("#nodes .node.image img").is_visible()
    context.close()


def test_funnel_reasons_lead_to_their_documents(browser, urls, outputs) -> None:  # type: ignore[no-untyped-def]
    removals = outputs[0]
    context, page = open_page(browser, urls[0], 1366)
    page.goto("/")
    steps = page.locator("#funnel-paragraph tr[data-reason]")
    assert [s.get_attribute("data-reason") for s in steps.all()] == [
        "paragraph.words_below_min", "paragraph.special_chars", "paragraph.stopwords"]  # config order
    page.click("#funnel-paragraph tr[data-reason='paragraph.special_chars'] a")
    assert [r.get_attribute("data-key") for r in page.locator("#doclist .row").all()] == [removals.garden.key]
    page.goto("/")
    page.click("#funnel-doc tr[data-reason='doc.no_text_left'] a")
    # (expect retries until the page the click loads is there: all_inner_texts would read at once)
    sync_api.expect(page.locator("#doclist .reason")).to_have_text(["doc.no_text_left"])
    page.click("#doclist a.doc-link")
    assert page.locator("#drop-reason").inner_text() == "doc.no_text_left"
    context.close()


def test_histograms_show_thresholds_and_rejects(browser, urls) -> None:  # type: ignore[no-untyped-def]
    context, page = open_page(browser, urls[0], 1366)
    page.goto("/")
    chart = page.locator("#charts [data-chart='score stopword_ratio']")
    assert chart.locator("g.threshold[data-value='0.35']").count() == 1
    assert chart.locator("rect[fill='#e45756'] title").count() > 0  # rejected documents, beside the kept
    assert "rejected" in chart.inner_text() and "min 0.35" in chart.inner_text()
    context.close()


def test_search_thumbnail_source_and_validation_links(browser, urls, outputs) -> None:  # type: ignore[no-untyped-def]
    removals = outputs[0]
    context, page = open_page(browser, urls[0], 800)
    page.goto("/docs")
    page.fill("#f-text", "warm sunny")
    page.click("#apply")
    sync_api.expect(page.locator("#doclist mark")).to_have_text(["warm", "sunny"])  # (after the form's page loads)
    href = page.locator("#doclist .thumb a").get_attribute("href")
    page.goto(href)  # the thumbnail opens the image itself, full size
    assert page.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]") == [64, 48]
    page.goto(f"/doc/kept/{removals.garden.key}")
    page.click("#original-link")
    assert "<script>alert('page script')</script>" in page.locator("#source-html").inner_text()
    assert page.dialogs == []  # shown, not run
    page.goto("/")
    page.click("#validation-link")
    assert "integrity" in page.content()
    context.close()


def test_no_rejects_page_says_how_to_keep_them(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = build_removals_output(tmp_path / "out", keep_rejects=False)
    app, server, thread = _serve(out.path)
    try:
        context, page = open_page(browser, f"http://127.0.0.1:{server.server_address[1]}", 800)  # type: ignore[attr-defined]
        page.goto("/")
        assert "shards.keep_rejects: true" in page.locator("#rejects-hint").inner_text()
        page.click("#nav-rejects")
        assert "shards.keep_rejects: true" in page.locator("#rejects-hint").inner_text()
        context.close()
    finally:
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]
        thread.join(5)  # type: ignore[attr-defined]
        app.close()
