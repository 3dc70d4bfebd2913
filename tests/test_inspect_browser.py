"""loom inspect in a real headless Chromium (pip playwright + Debian's chromium).

Skips when /usr/bin/chromium (or $LOOM_CHROMIUM) is missing: `apt-get install -y chromium`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from test_inspect_corpus import XSS_TEXT, Output, build_output

from builder.inspect.server import InspectApp, serve_in_thread

CHROMIUM = Path(os.environ.get("LOOM_CHROMIUM", "/usr/bin/chromium"))
# From shared/notes/dependencies.md: what launches here, with every name but loopback unresolvable.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
    "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]

sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright not installed")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} missing: install it with `apt-get install -y chromium`", allow_module_level=True)


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Output:
    return build_output(tmp_path_factory.mktemp("browsed") / "out")


@pytest.fixture(scope="module")
def base_url(output: Output) -> Iterator[str]:
    server, thread = serve_in_thread(InspectApp(output.path))
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def launch(pw):  # type: ignore[no-untyped-def]
    """Debian's Chromium, headless, with every host name but loopback unresolvable."""
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, base_url: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    context.close()


def card(page, name: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator(f"#card-{name} .value").inner_text()


def images_loaded(page) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """(naturalWidth, naturalHeight) of each image in the document, after all have loaded."""
    page.wait_for_function("Array.from(document.querySelectorAll('#nodes img')).every(i => i.complete)")
    sizes = page.eval_on_selector_all("#nodes img", "els => els.map(i => [i.naturalWidth, i.naturalHeight])")
    return [tuple(s) for s in sizes]


def test_dashboard_shows_the_numbers_of_the_run(page, output: Output) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert card(page, "documents") == "12"
    assert card(page, "images") == str(sum(len(d.images) for d in output.kept))
    assert card(page, "domains") == "3" and card(page, "languages") == "3" and card(page, "rejects") == "3"
    doc_funnel = page.locator("#funnel-doc")
    assert doc_funnel.locator("[data-count=in]").inner_text() == "20"
    assert doc_funnel.locator("[data-count=out]").inner_text() == "12"
    assert doc_funnel.locator("tr[data-reason='doc.too_few_words'] .removed").inner_text() == "−5"
    assert "balanced" in doc_funnel.locator("caption").inner_text()
    assert page.locator("#funnel-paragraph tr[data-reason='paragraph.too_short'] .removed").inner_text() == "−17"
    langs = page.locator("#languages tbody tr").all_inner_texts()
    assert [t.split() for t in langs] == [["en", "8"], ["fr", "3"], ["de", "1"]]
    assert page.locator("#domains tbody tr").first.inner_text().split() == ["example.com", "5"]
    charts = page.locator("#charts svg")
    assert charts.count() >= 8
    assert page.locator("#charts [data-chart='words per document'] rect").count() > 3
    assert page.locator("#reject-reasons tbody tr").count() == 2


def test_document_renders_text_and_images_in_order(page, output: Output) -> None:  # type: ignore[no-untyped-def]
    doc = output.kept[6]  # 2 images, news.example.org, fr
    page.goto("/")
    page.click("#nav-docs")
    page.fill("#f-domain", "news.example.org")
    page.select_option("#f-lang", "fr")
    page.click("#apply")
    assert page.locator("#result-count").inner_text() == "3 found"
    page.click(f".row[data-key='{doc.id}'] a.doc-link")
    page.wait_for_selector("#nodes")
    assert page.locator("#doc-title").inner_text() == doc.metadata["title"]
    assert page.locator("#source-url").inner_text() == doc.url
    shown = page.eval_on_selector_all(
        "#nodes .node",
        "els => els.map(e => e.classList.contains('image') ? 'img:' + e.querySelector('img').dataset.member"
        "                                              : 'txt:' + e.querySelector('p').innerText)")
    expected = []
    n_image = 0
    for node in doc.nodes:
        if hasattr(node, "text"):
            expected.append("txt:" + node.text)
        else:
            expected.append(f"img:{n_image}.{node.ext}")
            n_image += 1
    assert [s.strip() for s in shown] == [e.strip() for e in expected]
    sizes = images_loaded(page)
    assert sizes == [(im.info["width"], im.info["height"]) for im in doc.images]
    assert all(w > 0 for w, _ in sizes)
    assert page.locator("#doc-scores").inner_text().split() == ["quality", "0.47", "words", "52"]
    # paging within the filtered list
    page.click("#next-doc")
    assert page.locator("#source-url").inner_text() == output.kept[7].url


def test_every_image_of_every_document_loads(page, output: Output) -> None:  # type: ignore[no-untyped-def]
    for doc in output.kept:
        page.goto(f"/doc/kept/{doc.id}")
        sizes = images_loaded(page)
        assert sizes == [(im.info["width"], im.info["height"]) for im in doc.images], doc.url


def test_search_by_url_score_filter_and_paging(page, output: Output) -> None:  # type: ignore[no-untyped-def]
    page.goto("/docs")
    assert page.locator("#doclist .row").count() == 12
    page.fill("#f-q", "article/10?")
    page.click("#apply")
    rows = page.locator("#doclist .row")
    assert rows.count() == 1 and "article/10?ref=test" in rows.first.inner_text()
    page.goto("/docs")
    page.select_option("#f-score", "quality")
    page.fill("#f-min", "0.3")
    page.fill("#f-max", "0.6")
    page.select_option("#f-sort", "score_desc")
    page.click("#apply")
    urls = page.locator("#doclist .row .url").all_inner_texts()
    assert [u.rsplit("/", 1)[1] for u in urls] == [f"{n}?ref=test" for n in (7, 6, 5, 4)]
    page.goto("/docs?page=1&q=article")  # 12 documents, 20 a page: one page
    assert page.locator(".next-page").count() == 0
    page.goto("/docs?q=nothing-matches-this")
    assert page.locator("#no-results").is_visible()


def test_rejects_are_browsable_with_their_reason(page, output: Output) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.click("#nav-rejects")
    reasons = page.locator("#doclist .reason").all_inner_texts()
    assert reasons == ["doc.too_few_words", "doc.too_few_words", "doc.nsfw"]
    page.select_option("#f-reason", "doc.nsfw")
    page.click("#apply")
    page.click("#doclist a.doc-link")
    assert page.locator("#drop-reason").inner_text() == "doc.nsfw"
    assert page.locator("#source-url").inner_text() == output.rejects[2].url
    assert images_loaded(page)[0][0] > 0


def test_crawled_markup_is_shown_not_run(page, output: Output) -> None:  # type: ignore[no-untyped-def]
    doc = output.kept[3]
    page.goto(f"/doc/kept/{doc.id}")
    assert XSS_TEXT in page.locator("#nodes").inner_text()
    assert page.locator("#nodes script").count() == 0 and page.dialogs == []


def test_traversal_and_unknown_paths_get_404(page, output: Output) -> None:  # type: ignore[no-untyped-def]
    for path in ("/files/..%2f..%2fetc%2fpasswd", "/image/kept/%2e%2e/%2e%2e/0.jpg", "/nope",
                 f"/image/kept/{output.kept[1].id}/..%2fstats.json"):
        response = page.request.get(path)
        assert response.status == 404, path
    response = page.goto("/files/%2e%2e/%2e%2e/etc/passwd")
    assert response is not None and response.status == 404
    assert "No such page" in page.content()


REAL_FORMATS = {"PNG image data": "png", "JPEG image data": "jpeg", "GIF image data": "gif",
                "RIFF (little-endian) data": "webp"}


def test_real_images_are_served_and_decoded(browser, shared_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Every real PNG/JPEG/GIF/WebP of the corpus that Pillow opens, stored in a shard, shows in Chromium."""
    import csv

    from builder.document import Document, ImageNode, TextNode, document_key
    from builder.shards.manifest import write_manifest
    from builder.shards.writer import ShardWriter

    folder = shared_dir / "corpus" / "images" / "pillow"
    with open(folder / "MANIFEST.tsv", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    picked = []
    for row in rows:
        fmt = next((f for magic, f in REAL_FORMATS.items() if row["file_magic"].startswith(magic)), None)
        if fmt and row["pillow13_open_load"] == "ok" and int(row["bytes"]) < 300_000:
            picked.append((row["path"], fmt))
    assert len(picked) > 100
    docs = []
    out = tmp_path / "out"
    with ShardWriter(out, "real", max_samples=10) as writer:
        for start in range(0, len(picked), 20):
            nodes: list = []
            for name, fmt in picked[start:start + 20]:
                nodes += [TextNode(name), ImageNode(name, info={"format": fmt}, data=(folder / name).read_bytes())]
            url = f"https://real.test/{start}"
            docs.append(Document(document_key(url), url, nodes))
            writer.write(docs[-1])
    write_manifest(out, writer.shards)
    server, thread = serve_in_thread(InspectApp(out))
    context = browser.new_context(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    try:
        page = context.new_page()
        broken = []
        for doc in docs:
            page.goto(f"/doc/kept/{doc.id}")
            sizes = images_loaded(page)
            assert len(sizes) == len(doc.images)
            broken += [node.src for node, (w, _) in zip(doc.images, sizes) if w == 0]
        assert broken == []
    finally:
        context.close()
        server.shutdown()
        server.server_close()
        thread.join(5)
