"""General rules for which pictures are the article's: each from a page written for it.

Position inside the article body and a picture's own marks (declared size, lightbox link,
figure) outweigh a wrapper's class name; logos, video posters and teaser thumbnails are not
the article's pictures; <picture>/<source> and <base href> resolve as a browser would.
"""

from __future__ import annotations

import pytest

from builder.extract import extract_document
from builder.stats import Stats

URL = "https://news.example.org/2024/05/story.html"
P = (
    "<p>The expedition reached the ridge at dawn, and the light on the glacier was unlike anything "
    "the team had seen before, so they stopped, unpacked the cameras and waited for the sun.</p>"
)


def page(article: str, head: str = "", chrome: str = "") -> bytes:
    return (
        f"<html><head><title>Story</title>{head}</head><body>"
        f"<header class='site-header'><a href='/'><img src='/static/site-logo.png' alt='News'></a></header>"
        f"<div id='main'><article class='post'><h1>The ridge at dawn</h1>{article}</article>{chrome}</div>"
        f"<footer><img src='/static/footer-badge.png'></footer></body></html>"
    ).encode()


def names(article: str, head: str = "", chrome: str = "", stats: Stats | None = None) -> list[str]:
    doc = extract_document(page(article, head, chrome), URL, stats=stats)
    return [n.src.rsplit("/", 1)[-1] for n in doc.images]


def figures(n: int, prefix: str = "p") -> str:
    return "".join(
        f'<figure><a href="/photos/{prefix}{i}-large.jpg"><img src="/photos/{prefix}{i}.jpg" width="640" '
        f'height="427"></a><figcaption>Photo {i}: the camp below the ridge.</figcaption></figure>'
        for i in range(n)
    )


@pytest.mark.parametrize("wrapper", ["gallery", "widget", "lightbox", "thumb", "share", "embed", "media", "promo",
                                     "wp-block-gallery", "image-widget", "media-embed"])
def test_pictures_between_paragraphs_are_kept_whatever_their_wrapper_is_called(wrapper):
    # a run of figures (lightbox links) and a lone sized picture, each in a chrome-sounding wrapper
    article = (P + f'<div class="{wrapper}">{figures(3)}</div>' + P
               + f'<div id="{wrapper}-2"><img src="/photos/wide.jpg" width="900" height="500"></div>' + P + P)
    assert names(article) == ["p0.jpg", "p1.jpg", "p2.jpg", "wide.jpg"]


def test_unsized_lightbox_thumbnails_in_a_gallery_list_are_kept():
    items = "".join(f'<li class="gallery-item"><a href="/media/g{i}.jpeg"><img src="/media/g{i}-thumb.jpeg"></a>'
                    f'<a href="/media/g{i}.jpeg">Camp {i}</a></li>' for i in range(6))
    assert names(P + f'<ul class="gallery">{items}</ul>' + P + P) == [f"g{i}-thumb.jpeg" for i in range(6)]


def test_chrome_between_paragraphs_stays_out():
    related = ('<div class="related-widget"><a href="/2024/other.html"><img src="/thumbs/other.jpg" width="300" '
               'height="200"></a><a href="/2024/other.html">Another story</a></div>')
    icons = '<div class="share-bar"><img src="/static/fb.png" width="24" height="24"><img src="/static/x.png"></div>'
    modal = '<div class="newsletter-modal"><img src="/static/envelope-photo.jpg" width="600" height="400"></div>'
    assert names(P + related + P + icons + P + modal + P) == []


def test_a_wrapper_after_the_article_ends_is_not_rescued():
    promo = '<div class="promo"><img src="/ads/holiday.jpg" width="728" height="300"></div>'
    assert names(P + P + P, chrome=promo) == []


def test_picture_sources_inside_links_with_placeholder_imgs_and_conditional_comments():
    article = (
        P + '<a href="/full/a.jpg" class="lightbox"><picture>'
        '<!--[if IE 9]><video style="display: none;"><![endif]-->'
        '<source srcset="/img/a-800.jpg 800w, /img/a-400.jpg 400w" media="(min-width: 600px)">'
        '<source srcset="/img/a-small.jpg"><!--[if IE 9]></video><![endif]-->'
        '<img src="/static/lazy-placeholder.svg" width="1" height="1" alt=""></picture></a>'
        + P + '<picture><source srcset="data:image/gif;base64,R0lGODlh" data-srcset="/img/b-1200.webp 1200w, '
        '/img/b-600.webp 600w" type="image/webp"><img src="data:image/gif;base64,R0lGODlh" data-src="/img/b.jpg">'
        '</picture>'
        + P + '<picture><source srcset="/img/c.webp" type="image/webp"><source srcset="/img/c.jpg"></picture>'
        + P + '<a href="/photos/d-large.jpg" data-lightbox="set"><img src="data:image/gif;base64,R0lGODlh" alt="d"></a>'
        + P
    )
    doc = extract_document(page(article), URL)
    # (b: the <img>'s own lazy URL comes before its <source>s; a: a 1x1 <img> is only a placeholder)
    assert [n.src.rsplit("/", 1)[-1] for n in doc.images] == ["a-800.jpg", "b.jpg", "c.webp", "d-large.jpg"]
    assert [u.rsplit("/", 1)[-1] for u in doc.images[0].candidates] == ["a-800.jpg", "a-400.jpg", "a-small.jpg"]
    assert doc.images[2].candidates[-1].endswith("/img/c.jpg")


def test_only_the_first_base_href_counts_wherever_it_is():
    head = '<base target="_blank"><base href="/static/v2/"><base href="https://elsewhere.example/">'
    doc = extract_document(page(P + '<img src="a.jpg" width="600">' + P + P, head), URL)
    assert [n.src for n in doc.images] == ["https://news.example.org/static/v2/a.jpg"]
    in_body = P + '<base href="https://cdn.example.net/m/"><img src="b.jpg" width="600">' + P + P
    doc = extract_document(page(in_body), URL)
    assert [n.src for n in doc.images] == ["https://cdn.example.net/m/b.jpg"]


def test_a_one_image_article_gets_its_photo_not_the_print_or_site_logo():
    article = ('<img class="print-only" src="/static/masthead-print.png">'
               '<img src="/static/logo-print.gif" alt="Daily News">' + P
               + '<figure><img src="/photos/ridge.jpg" width="800" height="533"><figcaption>The ridge.</figcaption>'
                 '</figure>' + P + P)
    stats = Stats()
    assert names(article, stats=stats) == ["ridge.jpg"]
    assert stats.drops["image.logo"] == 2


def test_an_article_without_pictures_gets_none_invented():
    article = (
        '<div class="brand"><img src="/static/brand.svg" class="logo" alt="logo"></div>' + P
        + '<div class="video-player" data-id="9"><img src="/video/poster-frame.jpg" width="640" height="360">'
          '<button>Play</button></div>' + P
        + '<div class="vjs-poster"><img src="/video/still.jpg"></div>' + P + P
    )
    stats = Stats()
    assert names(article, stats=stats) == []
    assert stats.drops["image.video_poster"] == 2 and stats.drops["image.logo"] == 1


def test_a_picture_shown_twice_in_the_text_is_kept_twice_its_twins_once():
    formula = '<img src="/math/e-mc2.svg" width="60" height="20" alt="E=mc2">'
    ticks = "".join(f'<tr><td>Item {i}</td><td><img src="/static/tick.png" width="20"></td>'
                    f'<td><img src="/static/tick.png" width="20"></td></tr>' for i in range(2))
    article = (P + f"<p>Energy {formula} and again {formula} here.</p>" + P
               + f"<table>{ticks}</table>" + P
               + '<div class="hidden md:block"><img src="/photos/hero.jpg" width="900"></div>'
                 '<div class="md:hidden"><img src="/photos/hero.jpg" width="900"></div>'
               + '<img src="/photos/lazy.jpg" width="900"><noscript><img src="/photos/lazy.jpg"></noscript>' + P)
    stats = Stats()
    assert names(article, stats=stats) == ["e-mc2.svg", "e-mc2.svg", "tick.png", "tick.png", "tick.png",
                                           "tick.png", "hero.jpg", "lazy.jpg"]
    assert stats.drops["image.duplicate_in_page"] == 1  # (the <noscript> copy never becomes an item)


def test_store_badges_and_analytics_counters_are_not_pictures():
    body = (P + '<img src="/Icons/apple_app_store_de_DE.png"><img src="/Icons/google-play-badge_de_DE.png">'
            + '<img src="https://stats.example.org/matomo.php?idsite=2&rec=1">' + P + P)
    stats = Stats()
    assert names(body, stats=stats) == []
    assert stats.drops["image.logo"] == 2 and stats.drops["image.tracking_pixel"] == 1
