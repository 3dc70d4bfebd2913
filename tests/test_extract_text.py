"""Main content vs boilerplate, text shaping, and page metadata."""

from __future__ import annotations

from builder.extract import extract_document

URL = "https://news.example.org/world/story.html"
PROSE = (
    "The council voted on Tuesday to rebuild the old bridge, a decision that residents, shop owners "
    "and commuters had awaited for years, and work is due to start in the spring."
)
MORE = (
    "Engineers said the new design keeps the stone arches, adds a cycle lane, and will carry twice "
    "the load of the original structure, which dates from the nineteenth century."
)


def doc_of(body: str, head: str = "", url: str = URL):
    return extract_document(f"<!doctype html><html><head>{head}</head><body>{body}</body></html>".encode(), url)


def texts(doc) -> list[str]:
    return [n.text for n in doc.texts]


def test_boilerplate_is_removed_and_the_article_kept():
    body = f"""
    <header class="site-header"><a href="/">News Site</a><p>Your daily news</p></header>
    <nav><ul><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li></ul></nav>
    <div id="cookie-consent"><p>We use cookies to make this site work, please accept all of them now.</p></div>
    <div class="layout">
      <main><article>
        <h1>Bridge to be rebuilt</h1>
        <p>{PROSE}</p>
        <div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Tweet this story</a></div>
        <p>{MORE}</p>
        <blockquote>We waited a long time for this, said a resident.</blockquote>
      </article></main>
      <aside class="sidebar"><h3>Most read</h3><p>Another story that is very popular today, click it.</p></aside>
      <div class="related-articles"><h3>Related</h3><ul><li><a href="/a">Old bridge closes</a></li>
        <li><a href="/b">Council budget approved</a></li></ul></div>
      <section id="comments"><h3>Comments</h3><p>First! This is a comment with enough words in it.</p></section>
      <div class="advert"><p>Buy the best shoes in town at discount prices this week only.</p></div>
    </div>
    <footer><p>Copyright 2024 News Site. All rights reserved. Contact us for licensing.</p></footer>
    """
    got = texts(doc_of(body))
    assert got == [
        "Bridge to be rebuilt",
        PROSE,
        MORE,
        "We waited a long time for this, said a resident.",
    ]


def test_kept_structures_headings_lists_quotes_tables_code():
    body = f"""<article><h2>Steps</h2><p>{PROSE}</p>
    <ol><li>Mix the <em>flour</em> and water</li><li>Knead for ten minutes</li></ol>
    <blockquote><p>Patience is the secret.</p></blockquote>
    <table><caption>Timings</caption><tr><th>Step</th><th>Minutes</th></tr><tr><td>Knead</td><td>10</td></tr></table>
    <pre><code>def knead(dough):
    return dough * 2</code></pre><p>{MORE}</p></article>"""
    doc = doc_of(body)
    by_text = {n.text: n.tag for n in doc.texts}
    assert by_text["Steps"] == "h2"
    assert by_text["Mix the flour and water"] == "li"
    assert by_text["Knead for ten minutes"] == "li"
    assert by_text["Patience is the secret."] in ("p", "blockquote")
    assert by_text["Timings\nStep | Minutes\nKnead | 10"] == "table"
    assert by_text["def knead(dough):\n    return dough * 2"] == "pre"


def test_br_is_a_line_break_and_whitespace_is_normalised():
    body = f"<article><p>{PROSE}</p><p>Line   one<br>line\n\t two<br/>  line three </p><p>{MORE}</p></article>"
    assert "Line one\nline two\nline three" in texts(doc_of(body))


def test_double_br_separates_paragraphs():
    body = f"<article><div>{PROSE}<br><br>{MORE}<br> <br/><br>The end.</div></article>"
    assert texts(doc_of(body)) == [PROSE, MORE, "The end."]


def test_no_text_is_lost_inside_inline_tags():
    body = (
        f"<article><p>{PROSE}</p><p>Some <b>bold</b>, <i>italic</i>, <a href='/x'>linked</a>"
        f"<span> and <code>code</code></span> words<sup>1</sup> stay.</p><p>{MORE}</p></article>"
    )
    assert "Some bold, italic, linked and code words1 stay." in texts(doc_of(body))


def test_blocks_become_separate_paragraphs_in_order():
    body = f"<article><div>{PROSE}</div><div><p>{MORE}</p></div><section>Final words.</section></article>"
    assert texts(doc_of(body)) == [PROSE, MORE, "Final words."]


def test_hidden_elements_are_not_text():
    hidden = '<div style="display: none">secret hidden text</div><p hidden>also hidden</p>'
    body = f"<article><p>{PROSE}</p>{hidden}</article>"
    assert texts(doc_of(body)) == [PROSE]


def test_metadata_title_lang_canonical_robots():
    html = f"""<!doctype html><html lang="de-AT"><head><title>
      Brücke wird  neu gebaut </title><link rel="canonical" href="/welt/bruecke">
      <meta name="robots" content="index, follow, NoAI"><meta name="CCBot" content="noimageai">
      </head><body><article><p>{PROSE}</p></article></body></html>"""
    doc = extract_document(html.encode(), "https://news.example.org/welt/bruecke?utm=1")
    assert doc.metadata["title"] == "Brücke wird neu gebaut"
    assert doc.metadata["lang"] == "de-at"
    assert doc.metadata["canonical_url"] == "https://news.example.org/welt/bruecke"
    assert doc.metadata["robots"] == ["index", "follow", "noai", "noimageai"]


def test_document_id_and_obelics_lists():
    from builder.document import document_key

    doc = doc_of(f"<article><p>{PROSE}</p><img src='a.jpg'><p>{MORE}</p></article>")
    assert doc.id == document_key(URL)
    data = doc.to_dict()
    assert len(data["texts"]) == len(data["images"])
    assert all((t is None) != (i is None) for t, i in zip(data["texts"], data["images"]))
    assert data["images"][1] == "https://news.example.org/world/a.jpg"


def test_a_lead_paragraph_outside_the_article_body_is_kept():
    body = f"""<div class="story"><div class="intro"><p class="lead">{MORE}</p></div>
    <div class="body"><div class="text"><p>{PROSE}</p><p>{PROSE} Again.</p><p>{PROSE} Thrice.</p></div></div></div>
    <div class="teasers"><p>Unrelated teaser for another story entirely, which is short.</p></div>"""
    got = texts(doc_of(body))
    assert got[0] == MORE
    assert PROSE in got


def test_ruby_annotations_are_not_text():
    body = f"<article><p>{PROSE}</p><p><ruby>漢<rp>(</rp><rt>かん</rt><rp>)</rp>字<rt>じ</rt></ruby>の本</p></article>"
    assert "漢字の本" in texts(doc_of(body))


def test_short_bylines_and_dangling_labels_are_dropped():
    body = f"""<article><div class="byline">By Jane Doe, 3 May 2024</div><p>{PROSE}</p><p>{MORE}</p>
    <p>More on this topic:</p><ul class="related-links"><li><a href="/1">Link one</a></li></ul></article>"""
    assert texts(doc_of(body)) == [PROSE, MORE]
