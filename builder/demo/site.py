"""A small made-up website, drawn and written by loom itself, packed as a WARC for the demo.

It looks like the web on purpose: navigation, a cookie banner, share widgets, related
links, comments and a footer around each article; figures with captions, lazy-loaded and
`srcset` images, a logo, an icon and a tracking pixel; a corrupt picture; a French page, a
page with almost no text and a page that opts out of AI use (the filters must drop them);
plus the records a real crawl holds besides pages (requests, a redirect, a 404, a revisit).
"""

from __future__ import annotations

import hashlib
import html
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from builder.demo.prose import ARTICLES, FRENCH_ARTICLE, NOAI_ARTICLE, TAG_PAGE

SITE = "http://demo.loom.example"
CRAWL_DATE = "2026-11-01T12:00:00Z"


@dataclass
class Resource:
    url: str
    content_type: str
    body: bytes
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)


def draw_picture(seed: int, width: int, height: int, fmt: str = "JPEG") -> bytes:
    """A landscape-like picture: sky gradient, sun, layered hills, a few shapes. Deterministic."""
    rng = random.Random(seed)
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    top = (rng.randint(40, 120), rng.randint(90, 170), rng.randint(170, 250))
    bottom = (rng.randint(200, 255), rng.randint(160, 230), rng.randint(120, 200))
    for y in range(height):
        t = y / max(height - 1, 1)
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    r = rng.randint(height // 12, height // 6)
    cx, cy = rng.randint(r, width - r), rng.randint(r, height // 2)
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, rng.randint(200, 240), rng.randint(80, 160)))
    for layer in range(3):
        base = int(height * (0.55 + 0.15 * layer))
        points = [(0, height)]
        for x in range(0, width + 40, 40):
            points.append((x, base + rng.randint(-height // 10, height // 10)))
        points.append((width, height))
        shade = 60 + 40 * layer
        draw.polygon(points, fill=(rng.randint(20, 80), shade + rng.randint(0, 60), rng.randint(20, 70)))
    for _ in range(rng.randint(2, 5)):
        x, y = rng.randint(0, width), rng.randint(height // 2, height)
        s = rng.randint(6, max(7, width // 25))
        draw.rectangle([x, y - 2 * s, x + s, y], fill=(rng.randint(90, 160), 60, 40))
    out = io.BytesIO()
    img.save(out, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return out.getvalue()


def _seed(name: str) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def _boilerplate_top(title: str) -> str:
    return f"""<header class="site-header">
  <a href="/"><img src="/static/logo.png" alt="Loom Demo Journal" width="120" height="40"></a>
  <nav class="main-nav"><ul><li><a href="/">Home</a></li><li><a href="/articles/">Articles</a></li>
  <li><a href="/tags.html">Tags</a></li><li><a href="/about.html">About us</a></li></ul></nav>
</header>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
  <button>Accept all cookies</button></div>
<div class="share-buttons">Share this: <a href="#"><img src="/static/icons/share.png" width="16" height="16"
  alt="share"></a> Twitter Facebook Email</div>
<h1>{html.escape(title)}</h1>
<p class="byline">By the Loom demo team · 1 November 2026</p>"""


def _boilerplate_bottom(slug: str) -> str:
    others = [a for a in ARTICLES if a["slug"] != slug][:3]
    related = "".join(f'<li><a href="/articles/{a["slug"]}.html">{html.escape(a["title"])}</a></li>'
                      for a in others)
    return f"""<aside class="sidebar related-articles"><h3>Related articles</h3><ul>{related}</ul></aside>
<section id="comments" class="comments"><h3>2 comments</h3>
  <div class="comment">Great post, thanks for sharing!</div><div class="comment">First!</div></section>
<img src="/pixel.gif?page={slug}" width="1" height="1" alt="" style="display:none">
<footer class="site-footer">© 2026 Loom Demo Journal · <a href="/privacy.html">Privacy</a> ·
  <a href="/contact.html">Contact</a> · All rights reserved.</footer>"""


def render_page(article: dict, images: list[str]) -> str:
    """An article page; `images` are the picture URLs (path part) placed between paragraphs."""
    parts = []
    paragraphs = article["paragraphs"]
    for i, text in enumerate(paragraphs):
        parts.append(f"<p>{html.escape(text)}</p>")
        if i < len(images):
            src = images[i]
            alt = f"Illustration {i + 1} for {article['title']}"
            style = i % 3
            if style == 0:  # a figure with a caption
                parts.append(f'<figure><img src="{src}" alt="{html.escape(alt)}" width="640" height="427">'
                             f"<figcaption>{html.escape(article['title'])}, picture {i + 1}.</figcaption>"
                             "</figure>")
            elif style == 1:  # lazy-loaded, with a placeholder and a noscript fallback
                parts.append('<img class="lazy" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" '
                             f'data-src="{src}" alt="{html.escape(alt)}">'
                             f'<noscript><img src="{src}" alt="{html.escape(alt)}"></noscript>')
            else:  # responsive: relative URL and srcset candidates
                small = src.replace(".jpg", "-320.jpg")
                parts.append(f'<img src="{small}" srcset="{small} 320w, {src} 640w" '
                             f'sizes="(max-width: 600px) 320px, 640px" alt="{html.escape(alt)}">')
    lang = article.get("lang", "en")
    robots = f'<meta name="robots" content="{article["robots"]}">' if article.get("robots") else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(article['title'])} | Loom Demo Journal</title>
<link rel="canonical" href="{SITE}/articles/{article['slug']}.html">{robots}
<style>body {{ font-family: serif; }} .cookie-consent {{ position: fixed; }}</style>
<script>window.dataLayer = window.dataLayer || []; function lazy() {{ /* swap data-src */ }}</script>
</head><body>
{_boilerplate_top(article['title'])}
<main><article class="post-content">
{''.join(parts)}
</article></main>
{_boilerplate_bottom(article['slug'])}
</body></html>"""


def _http(status: int, content_type: str, length: int) -> list[tuple[str, str]]:
    return [("Content-Type", content_type), ("Content-Length", str(length)), ("Server", "demo")]


def build_site() -> list[Resource]:
    """Every resource of the site, pages and pictures, in crawl order."""
    resources: list[Resource] = []
    pages = [*ARTICLES, FRENCH_ARTICLE, TAG_PAGE, NOAI_ARTICLE]
    for n, article in enumerate(pages):
        slug = article["slug"]
        n_images = 0 if slug == "tags" else min(3, len(article["paragraphs"]))
        images = [f"/images/{slug}-{i}.jpg" for i in range(n_images)]
        resources.append(Resource(f"{SITE}/articles/{slug}.html", "text/html; charset=utf-8",
                                  render_page(article, images).encode("utf-8")))
        for i, path in enumerate(images):
            w, h = (640, 427) if (n + i) % 2 == 0 else (600, 400)
            body = draw_picture(_seed(path), w, h)
            if slug == "bicycle-repair" and i == 2:
                body = body[: len(body) // 3]  # a picture cut off mid-transfer: decoding must reject it
            resources.append(Resource(f"{SITE}{path}", "image/jpeg", body))
            if i % 3 == 2:  # the small srcset candidate
                small = draw_picture(_seed(path), 320, int(320 * h / w))
                resources.append(Resource(f"{SITE}{path.replace('.jpg', '-320.jpg')}", "image/jpeg", small))
    logo = io.BytesIO()
    Image.new("RGB", (240, 80), (30, 60, 120)).save(logo, "PNG")
    resources.append(Resource(f"{SITE}/static/logo.png", "image/png", logo.getvalue()))
    icon = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(icon, "PNG")
    resources.append(Resource(f"{SITE}/static/icons/share.png", "image/png", icon.getvalue()))
    return resources


def write_warc(resources: list[Resource], path: str | Path) -> Path:
    """Pack the site as a gzipped WARC, with the request, redirect, 404 and revisit records of a crawl."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "loom demo site"}))

        def response(url: str, status: int, reason: str, headers: list[tuple[str, str]], body: bytes):
            http = StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1")
            req = StatusAndHeaders(f"GET {url.split(SITE, 1)[-1] or '/'} HTTP/1.1",
                                   [("Host", "demo.loom.example"), ("User-Agent", "loom-demo")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=req,
                                                          warc_headers_dict={"WARC-Date": CRAWL_DATE}))
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=http,
                                                          warc_headers_dict={"WARC-Date": CRAWL_DATE}))

        response(f"{SITE}/", 301, "Moved Permanently", [("Location", f"{SITE}/articles/"),
                                                        ("Content-Length", "0")], b"")
        for res in resources:
            response(res.url, res.status, "OK", _http(res.status, res.content_type, len(res.body)), res.body)
        missing = b"<html><body><h1>Not found</h1></body></html>"
        response(f"{SITE}/about.html", 404, "Not Found", _http(404, "text/html", len(missing)), missing)
        revisit = writer.create_revisit_record(f"{SITE}/articles/{ARTICLES[0]['slug']}.html",
                                               digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                               refers_to_uri=f"{SITE}/articles/{ARTICLES[0]['slug']}.html",
                                               refers_to_date=CRAWL_DATE)
        writer.write_record(revisit)
    return path


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="write the loom demo site as a WARC")
    parser.add_argument("out", help="path of the .warc.gz to write")
    args = parser.parse_args(argv)
    print(write_warc(build_site(), args.out))
    return 0
