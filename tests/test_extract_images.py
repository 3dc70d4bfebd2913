"""Which images a page's article holds, with which URL, in which order; what is discarded and why."""

from __future__ import annotations

from builder.document import ImageNode, TextNode
from builder.extract import ExtractConfig, extract_document
from builder.stats import Stats

URL = "https://example.org/blog/2024/post.html"
PROSE = (
    "This paragraph is long enough to look like the body of an article, with commas, clauses, "
    "and a few more words so that the content scorer has something to hold on to."
)


def page(body: str, head: str = "") -> bytes:
    article = f"<article><p>{PROSE}</p>{body}<p>{PROSE}</p></article>"
    return f"<html><head>{head}</head><body>{article}</body></html>".encode()


def extract(body: str, head: str = "", **config):
    stats = Stats()
    doc = extract_document(page(body, head), URL, stats=stats, config=ExtractConfig(**config))
    return doc, stats


def srcs(doc) -> list[str]:
    return [n.src for n in doc.images]


def test_relative_urls_resolve_against_the_page_not_the_domain_root():
    doc, _ = extract('<img src="pics/a.jpg"><img src="../b.png"><img src="/c.gif"><img src="//cdn.example.net/d.jpg">')
    assert srcs(doc) == [
        "https://example.org/blog/2024/pics/a.jpg",
        "https://example.org/blog/b.png",
        "https://example.org/c.gif",
        "https://cdn.example.net/d.jpg",
    ]


def test_base_href_is_honoured():
    doc, _ = extract('<img src="a.jpg">', head='<base href="https://static.example.org/media/">')
    assert srcs(doc) == ["https://static.example.org/media/a.jpg"]


def test_srcset_best_candidate_up_to_the_configured_width():
    body = '<img src="small.jpg" srcset="w400.jpg 400w, w2400.jpg 2400w, w1200.jpg 1200w, w800.jpg 800w">'
    assert srcs(extract(body)[0]) == ["https://example.org/blog/2024/w1200.jpg"]
    assert srcs(extract(body, max_srcset_width=800)[0]) == ["https://example.org/blog/2024/w800.jpg"]
    # every candidate too wide: the narrowest
    assert srcs(extract(body, max_srcset_width=100)[0]) == ["https://example.org/blog/2024/w400.jpg"]


def test_srcset_density_descriptors_and_commas_inside_urls():
    doc, _ = extract('<img src="a.jpg" srcset="a-1x.jpg 1x, a-2x.jpg 2x">')
    assert srcs(doc) == ["https://example.org/blog/2024/a-2x.jpg"]
    cloudinary = "https://img.example.org/c_fill,w_{}/x.jpg"
    doc, _ = extract(f'<img srcset="{cloudinary.format(600)} 600w, {cloudinary.format(300)} 300w">')
    assert srcs(doc) == ["https://img.example.org/c_fill,w_600/x.jpg"]


def test_picture_sources_when_the_img_has_no_real_src():
    body = (
        '<picture><source type="image/webp" srcset="p-800.webp 800w, p-1600.webp 1600w">'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="A picture"></picture>'
    )
    doc, _ = extract(body)
    assert srcs(doc) == ["https://example.org/blog/2024/p-1600.webp"]
    assert doc.images[0].alt == "A picture"


def test_lazy_loading_attributes():
    placeholder = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
    body = (
        f'<img src="{placeholder}" data-src="lazy1.jpg">'
        f'<img src="/img/blank.gif" data-original="lazy2.jpg">'
        f'<img data-lazy-src="lazy3.jpg">'
        f'<img src="{placeholder}" data-srcset="lazy4-300.jpg 300w, lazy4-900.jpg 900w">'
        '<img data-attrs=\'{"src": "https://img.example.org/lazy5.jpg", "w": 900}\'>'
    )
    doc, _ = extract(body)
    assert srcs(doc) == [
        "https://example.org/blog/2024/lazy1.jpg",
        "https://example.org/blog/2024/lazy2.jpg",
        "https://example.org/blog/2024/lazy3.jpg",
        "https://example.org/blog/2024/lazy4-900.jpg",
        "https://img.example.org/lazy5.jpg",
    ]


def test_noscript_fallback_fills_a_lazy_image_without_url_and_is_not_doubled():
    body = (
        '<img class="lazy" src="data:image/gif;base64,R0lGOD"><noscript><img src="real.jpg"></noscript>'
        '<img data-src="other.jpg"><noscript><img src="other-fallback.jpg"></noscript>'
    )
    doc, stats = extract(body)
    assert srcs(doc) == ["https://example.org/blog/2024/real.jpg", "https://example.org/blog/2024/other.jpg"]
    assert stats.dropped("image") == 0


def test_figure_caption_follows_its_image_and_is_in_its_metadata():
    body = '<figure><figcaption>A  red  kite over the hills.</figcaption><img src="kite.jpg" alt="kite"></figure>'
    doc, _ = extract(body)
    i = next(k for k, n in enumerate(doc.nodes) if isinstance(n, ImageNode))
    assert doc.nodes[i].caption == "A red kite over the hills."
    assert doc.nodes[i].alt == "kite"
    assert isinstance(doc.nodes[i + 1], TextNode) and doc.nodes[i + 1].text == "A red kite over the hills."
    assert doc.nodes[i + 1].tag == "figcaption"
    data = doc.to_dict()
    assert data["image_info"][i]["caption"] == "A red kite over the hills."
    assert data["image_info"][i]["alt"] == "kite"


def test_figure_whose_img_a_script_inserts_names_it_in_an_attribute():
    body = '<figure itemid="https://static.example.org/photo-large.jpg?quality=90"><div></div><figcaption>Caption</figcaption></figure>'
    doc, _ = extract(body)
    assert srcs(doc) == ["https://static.example.org/photo-large.jpg?quality=90"]


def test_data_uris_tracking_pixels_hidden_and_tiny_images_are_dropped_and_counted():
    body = (
        '<img src="data:image/png;base64,iVBORw0KGgo=">'
        '<img src="counter.gif" width="1" height="1">'
        '<img src="https://www.facebook.com/tr?id=1&ev=PageView">'
        '<img src="spy.png" style="display:none">'
        '<img src="icon.png" width="8" height="8">'
        '<img src="keep.jpg" width="640" height="480">'
    )
    doc, stats = extract(body)
    assert srcs(doc) == ["https://example.org/blog/2024/keep.jpg"]
    assert stats.drops == {
        "image.data_uri": 1,
        "image.tracking_pixel": 2,
        "image.hidden": 1,
        "image.tiny": 1,
    }


def test_the_same_image_again_after_text_is_kept_but_its_twin_is_not():
    doc, stats = extract('<img src="a.jpg"><p>between</p><img src="./a.jpg#frag"><img src="a.jpg"><img src="b.jpg">')
    a, b = "https://example.org/blog/2024/a.jpg", "https://example.org/blog/2024/b.jpg"
    assert srcs(doc) == [a, a, b]
    assert stats.drops["image.duplicate_in_page"] == 1


def test_images_keep_their_place_between_paragraphs():
    doc, _ = extract(f'<p>Before the photo. {PROSE}</p><img src="one.jpg"><p>After the photo. {PROSE}</p>')
    i = next(k for k, n in enumerate(doc.nodes) if isinstance(n, ImageNode))
    assert doc.nodes[i].src == "https://example.org/blog/2024/one.jpg"
    assert doc.nodes[i - 1].text.startswith("Before the photo.")
    assert doc.nodes[i + 1].text.startswith("After the photo.")


def test_images_in_navigation_and_footer_are_not_part_of_the_document():
    html = (
        f'<html><body><nav><img src="logo.png"></nav><article><p>{PROSE}</p><img src="photo.jpg">'
        f'<p>{PROSE}</p></article><footer><img src="badge.png"></footer></body></html>'
    )
    doc = extract_document(html.encode(), URL)
    assert srcs(doc) == ["https://example.org/blog/2024/photo.jpg"]


def test_noscript_kept_as_escaped_markup_still_gives_its_image_but_no_text():
    body = (
        '<img class="lazy" src="data:image/gif;base64,R0lGOD">'
        '<noscript>&lt;img src="escaped.jpg" alt="x"&gt;</noscript>'
        "<noscript>Please enable JavaScript to view this page.</noscript>"
        "<noscript><!-- player fallback -->Please enable JavaScript to watch the video.</noscript>"
    )
    doc, _ = extract(body)
    assert srcs(doc) == ["https://example.org/blog/2024/escaped.jpg"]
    assert "JavaScript" not in doc.text()
    assert "<img" not in doc.text()


def test_an_inline_image_splits_its_paragraph_in_reading_order():
    doc, _ = extract('<p>The formula <img src="f.svg" alt="x^2"> grows fast, as everyone knows.</p>')
    i = next(k for k, n in enumerate(doc.nodes) if isinstance(n, ImageNode))
    assert doc.nodes[i - 1].text == "The formula"
    assert doc.nodes[i + 1].text == "grows fast, as everyone knows."


def test_every_candidate_url_is_kept_in_preference_order():
    body = (
        '<img src="//upload.example.net/a/Mona_Lisa%2C_x.jpg/220px-M.jpg" width="220" '
        'data-src="lazy.jpg" srcset="//upload.example.net/a/330px-M.jpg 1.5x, //upload.example.net/a/440px-M.jpg 2x">'
        '<picture><source srcset="p-800.webp 800w, p-400.webp 400w"><img src="p.jpg" alt="p"></picture>'
    )
    doc, _ = extract(body)
    first, second = doc.images
    assert first.candidates == [
        "https://upload.example.net/a/440px-M.jpg",  # the chosen one first (2x of 220 px fits 1600)
        "https://upload.example.net/a/330px-M.jpg",
        "https://example.org/blog/2024/lazy.jpg",
        "https://upload.example.net/a/Mona_Lisa%2C_x.jpg/220px-M.jpg",  # the 1x a browser fetches
    ]
    assert first.src == first.candidates[0]
    # (a <picture>'s <img> with a real URL of its own comes first, its <source>s after)
    assert second.candidates == ["https://example.org/blog/2024/p.jpg", "https://example.org/blog/2024/p-800.webp",
                                 "https://example.org/blog/2024/p-400.webp"]
    # the shard JSON keeps them, and reads them back
    info = doc.to_dict()["image_info"][1]
    assert info["candidates"] == first.candidates
    again = type(doc).from_dict(doc.to_dict())
    assert again.images[0].candidates == first.candidates and "candidates" not in again.images[0].info
