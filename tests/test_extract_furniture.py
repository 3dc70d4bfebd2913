"""Images that are never the article's picture, from pages written for each rule: placeholders
whose file name carries a hash, ad-server banners and counters, icons and logos by class or
folder; and the one picture of a server-rendered <amp-img>.

(Found with bench/extract_reference.py: Readability.js, the maker of set a's gold, does not keep
them on pages where loom did.)
"""

from __future__ import annotations

from builder.extract import extract_document
from builder.stats import Stats

URL = "https://magazine.example.org/2024/06/harvest.html"
P = (
    "<p>The harvest started two weeks early this year, and the growers on the southern slopes "
    "picked by hand through the cool mornings, sorting the grapes twice before the press.</p>"
)


def page(article: str) -> bytes:
    return (
        "<html><head><title>Harvest</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/wine'>Wine</a></nav>"
        f"<main><article class='story'><h1>An early harvest</h1>{article}</article></main>"
        "<footer>(c) Magazine</footer></body></html>"
    ).encode()


def images(article: str, stats: Stats | None = None) -> list[str]:
    return [n.src for n in extract_document(page(article), URL, stats=stats).images]


def test_a_placeholder_with_a_hash_in_its_name_gives_way_to_the_real_url():
    # (the lazy loader's own attribute name: only a URL that looks like an image file tells it)
    lazy = ('<img src="https://s.example.net/media/images/transparent-1093278.png" '
            'data-wood-src="https://cdn.example.org/photos/press.jpg" width="800" height="533">')
    assert images(P + lazy + P + P) == ["https://cdn.example.org/photos/press.jpg"]


def test_a_lone_placeholder_or_loader_is_not_a_picture():
    body = (P + '<img src="https://s.example.net/media/images/transparent-1093278.png" width="400">'
            + P + '<div class="grid"><img src="/themes/default/images/ajax_loader.gif"></div>' + P)
    stats = Stats()
    assert images(body, stats) == []
    assert stats.drops["image.no_src"] == 2


def test_names_with_those_words_inside_are_still_pictures():
    body = (P + '<img src="/photos/transparent-water-of-the-lake.jpg" width="800">'
            + '<img src="/photos/loader-crane-at-the-cellar.jpg" width="800">' + P + P)
    assert [u.rsplit("/", 1)[-1] for u in images(body)] == ["transparent-water-of-the-lake.jpg",
                                                             "loader-crane-at-the-cellar.jpg"]


def test_an_ad_servers_noscript_banner_is_not_a_picture():
    banner = ('<div class="content_main"><noscript><a href="https://ads.example.org/www/delivery/ck.php?n=d33">'
              '<img src="https://ads.example.org/www/delivery/avw.php?zoneid=68&amp;n=d33" alt="Information">'
              '</a></noscript></div>')
    stats = Stats()
    assert images(P + banner + P + P, stats) == []
    assert stats.drops["image.tracking_pixel"] == 1


def test_an_image_whose_own_class_says_icon_is_dropped_even_inside_a_figure():
    body = (P + '<p><img class="icon lozad" src="/content/dam/labels/arabica.png"> 100% Arabica</p>'
            + '<figure><img src="/photos/cellar.jpg" width="900" height="600">'
              '<a class="loupe" href="/photos/cellar-big.jpg"><img class="icon-zoom" src="/static/loupe.svg"></a>'
              '<figcaption>The cellar.</figcaption></figure>' + P + P)
    stats = Stats()
    assert images(body, stats) == ["https://magazine.example.org/photos/cellar.jpg"]
    assert stats.drops["image.icon"] == 2


def test_words_that_only_contain_icon_do_not_count():
    body = (P + '<img class="iconic-view wp-image-5" src="/photos/vineyard.jpg" width="900">'
            + '<img id="lexicon-figure" src="/photos/press-house.jpg" width="900">' + P + P)
    assert len(images(body)) == 2


def test_images_from_a_logos_or_icons_folder_are_furniture():
    table = "".join(f'<tr><td class="team"><img src="/i/sport/team/logo_sm/0x20/{i}.png"> Club {i}</td>'
                    f'<td>{i * 3}</td></tr>' for i in range(4))
    body = (P + '<img src="/static/icons/member.gif"> Member since 2009' + P
            + f'<table class="standings">{table}</table>' + P
            + '<img src="/media/logotype-history/1920.jpg" width="900">' + P)  # (not a logos folder)
    stats = Stats()
    assert images(body, stats) == ["https://magazine.example.org/media/logotype-history/1920.jpg"]
    assert stats.drops["image.logo"] == 4 and stats.drops["image.icon"] == 1


def test_matomos_tracking_api_is_a_tracker_whatever_its_script_is_called():
    counter = '<noscript><p><img src="https://stats.example.net/analytics/f24.php?idsite=134&amp;rec=1"></p></noscript>'
    stats = Stats()
    assert images(P + counter + P + '<img src="/photos/press.jpg?idsite=2" width="800">' + P, stats) == [
        "https://magazine.example.org/photos/press.jpg?idsite=2"]
    assert stats.drops["image.tracking_pixel"] == 1


def test_a_server_rendered_amp_img_is_its_picture_once():
    # AMP pages rendered on the server put a data: sizer and a <noscript><img> inside each <amp-img>
    sizer = ('<i-amphtml-sizer class="i-amphtml-sizer"><img alt="" aria-hidden="true" role="presentation" '
             'src="data:image/svg+xml;base64,PHN2ZyBoZWlnaHQ9JzM4MSc="></i-amphtml-sizer>')
    amp = ('<figure class="aligncenter"><amp-img src="/u/chart.png" width="1000" height="381" layout="intrinsic" '
           'srcset="/u/chart.png 1000w, /u/chart-300x114.png 300w">' + sizer
           + '<noscript><img src="/u/chart.png" width="1000" height="381"></noscript></amp-img></figure>')
    bare = ('<amp-img layout="responsive" width="800" height="600">'
            '<img class="i-amphtml-fill-content" src="/u/harvest-crew.jpg" alt="The crew"></amp-img>')
    assert images(P + amp + P + bare + P) == ["https://magazine.example.org/u/chart.png",
                                             "https://magazine.example.org/u/harvest-crew.jpg"]


def test_a_pictures_own_img_url_comes_before_its_sources():
    # <source>s are other formats or a phone's crop; the <img> is what the page falls back to
    formats = ('<picture><source type="image/avif" srcset="/m/vines.avif"><source type="image/webp" '
               'srcset="/m/vines.webp"><img src="/m/vines.jpg" alt="Vines"></picture>')
    crops = ('<picture><source media="(max-width: 767px)" srcset="//cdn.example.org/3f1c-mobile.jpg">'
             '<source media="(min-width: 768px)" srcset="//cdn.example.org/9a2e.jpg">'
             '<img src="//cdn.example.org/9a2e.jpg"></picture>')
    placeholder = ('<picture><source srcset="/m/press-1200.jpg 1200w, /m/press-600.jpg 600w">'
                   '<img src="/m/dot.gif" width="1" height="1"></picture>')
    doc = extract_document(page(P + formats + P + crops + P + placeholder + P), URL)
    assert [n.src.rsplit("/", 1)[-1] for n in doc.images] == ["vines.jpg", "9a2e.jpg", "press-1200.jpg"]
    assert [u.rsplit("/", 1)[-1] for u in doc.images[0].candidates] == ["vines.jpg", "vines.avif", "vines.webp"]
