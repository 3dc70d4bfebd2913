"""Which box is the article, and so which pictures are its own: Readability's rules, each from a
page written for it.

A picture comes in with the container that holds the article's text: the top box, the siblings
that join it by their text, or a parent that scores higher than the box below it. A picture
block beside the text that holds no prose of its own (a lead photo in its own pane, a figure
between two parts of the text) is not joined for its position alone.
"""

from __future__ import annotations

from builder.extract import extract_document

URL = "https://news.example.org/2024/05/story.html"


def para(i: int) -> str:
    return (f"<p>Paragraph {i} of the report: the committee met again on Tuesday, heard the witnesses, "
            f"read the letters, and agreed that the bridge would stay closed until the survey is done.</p>")


def paras(n: int, start: int = 0) -> str:
    return "".join(para(i) for i in range(start, start + n))


FIGURE = '<figure><img src="/photos/{name}.jpg" width="800" height="533"><figcaption>{name}</figcaption></figure>'


def figure(name: str) -> str:
    return FIGURE.format(name=name)


def extract(body: str):
    html = (f"<html><head><title>Report</title></head><body><header class='site-header'><a href='/'>News</a>"
            f"</header>{body}<footer>Contact</footer></body></html>")
    return extract_document(html.encode(), URL)


def names(body: str) -> list[str]:
    return [n.src.rsplit("/", 1)[-1] for n in extract(body).images]


# A box of three short <p>s, deep enough not to join the article as its sibling: a rival for the top.
RIVAL = ('<div class="box"><div class="inner"><div class="note">' + 3 * (
    "<p>Corrections, comments and tips about this and other reports, long or short, are welcome by post, "
    "by phone, or in person at the front desk of the newsroom, which is open on weekdays.</p>") + "</div></div></div>")


def wins_over_rival(article: str, last: int) -> bool:
    """Whether the article's text, up to paragraph `last`, is chosen and the rival box's is not."""
    text = text_only(article + RIVAL)
    return f"Paragraph {last} of the report" in text and "front desk" not in text


def text_only(body: str) -> str:
    """The article's text, checking that it came without a picture."""
    doc = extract(body)
    assert [n.src for n in doc.images] == []
    return " ".join(n.text for n in doc.texts)


def test_a_picture_pane_above_the_text_pane_is_not_the_article_s():
    # The photo sits in a pane of its own just before the pane of text: nothing but its place joins
    # it to the text, and the text's box does not reach it (Readability keeps no picture here).
    body = (f'<div class="columns"><div class="pane pane-photo">{figure("lead")}</div>'
            f'<div class="pane pane-text">{paras(6)}</div><div class="pane">Tags: bridges</div></div>')
    assert "Paragraph 5 of the report" in text_only(body)


def test_a_lead_picture_comes_in_with_the_container_that_scores_higher_than_the_text_box():
    # The text box's parent (the post) scores less than it, but the canvas above scores more (its
    # class and id both say content): the canvas is the article, with the lead photo in it.
    inner = f'<div class="post">{figure("lead")}<div class="story-body">{paras(6)}</div></div>'
    assert names(f'<div id="main-content" class="content-canvas">{inner}</div>') == ["lead.jpg"]
    # The same article in a wrapper that says nothing: the text box stays the article, no photo.
    assert names(f'<div class="wrap">{inner}</div>') == []


def test_figures_between_parts_joined_by_their_class_are_not_the_article_s():
    # One long part and two short ones of the same class: the long part is the article, the others
    # join it by their class; the figures between them join nothing.
    body = (f'<div class="stack">{figure("top")}<div class="part">{paras(8)}</div>{figure("chart")}'
            f'<div class="part">{paras(2, 8)}</div>{figure("map")}<div class="part">{paras(1, 10)}</div></div>')
    assert "Paragraph 10 of the report" in text_only(body)


def test_figures_between_many_equal_parts_come_in_with_their_parent():
    # Five parts of the same size: their parent holds more of the article than any one part and
    # scores higher, so it is the container, with the figures between the parts.
    parts = "".join(f'<div class="item">{paras(2, 2 * i)}</div>{figure(f"f{i}") if i in (1, 3) else ""}'
                    for i in range(5))
    assert names(f'<div class="list-article">{parts}</div>') == ["f1.jpg", "f3.jpg"]


def test_a_share_bar_inside_the_article_does_not_count_as_its_links():
    # The share bar's long link texts would make the article box look like a link list; they are
    # page chrome and not measured, so the article wins over a shorter box of prose elsewhere.
    share = "".join(f'<li><a href="https://social.example/share?u={i}">Share this report with your friends '
                    f'and colleagues on network number {i}</a></li>' for i in range(12))
    assert wins_over_rival(f'<div class="main"><div class="entry">{paras(4)}<ul class="social-links">{share}</ul>'
                           f'</div></div>', 3)


def test_text_in_divs_holding_nothing_else_scores_like_paragraphs():
    # An editor that writes each paragraph as a <div> of text: each such div is a paragraph and
    # scores its parent fully, so the editor's box beats a shorter box of real <p>s elsewhere.
    blocks = "".join(f"<div>{para(i)[3:-4]}</div>" for i in range(6))
    assert wins_over_rival(f'<div class="wrap"><div class="editor">{blocks}</div></div>', 5)


def test_a_section_scores_its_parent_as_one_paragraph_of_all_its_text():
    # The text sits in a <section>; its parent holds the section and the lead photo. The section
    # counts for its parent as one long paragraph, so the parent outscores the section and is the
    # container, photo included.
    body = f'<div class="holder">{figure("lead")}<section><div class="copy">{paras(8)}</div></section></div>'
    assert names(body) == ["lead.jpg"]


def test_a_captioned_picture_inside_a_link_is_not_a_link_list():
    # A link wraps the whole captioned picture: the caption is link text, but of the enclosing link,
    # not of links inside the box, so the box is not cleaned away as a list of links.
    lead = ('<a href="/2024/05/story.html"><div class="wp-caption"><img src="/photos/bridge.jpg" alt="The bridge">'
            '<p class="wp-caption-text">Photo: J. Doe | News</p></div></a>')
    assert names(f'<div class="entry">{lead}{paras(5)}</div>') == ["bridge.jpg"]


def test_readability_s_unlikely_words_are_chrome_words_too():
    # An ai2html chart (artboard images under text layers), a "cover-wrap" and a Yahoo "yom-remote"
    # box: Readability drops all three before scoring, and so does loom.
    chart = ('<div id="g-debt-box" class="ai2html ai2html-box-v5"><div class="g-artboard" data-min-width="600">'
             '<img class="g-aiImg" src="/graphics/debt-600.png" width="600" height="434">'
             '<div class="g-aiAbs"><p>Interest on the debt, in billions of dollars, 2000 to 2028</p></div></div></div>')
    cover = '<div class="cover-wrap"><img src="/graphics/cover.jpg" width="1200" height="600"></div>'
    remote = '<div class="yom-remote"><img src="/graphics/remote.jpg" width="600" height="400"></div>'
    assert names(f'<div class="entry">{paras(3)}{chart}{paras(2, 3)}{cover}{remote}{paras(2, 5)}</div>') == []
