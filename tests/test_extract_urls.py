"""srcset parsing and URL resolution."""

from __future__ import annotations

import pytest

from builder.extract.urls import best_srcset_url, parse_srcset, resolve


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a.jpg 1x, b.jpg 2x", [("a.jpg", "1x"), ("b.jpg", "2x")]),
        ("a.jpg 1x,b.jpg 2x", [("a.jpg", "1x"), ("b.jpg", "2x")]),
        ("a.jpg, b.jpg", [("a.jpg", ""), ("b.jpg", "")]),
        ("  a.jpg  ", [("a.jpg", "")]),
        ("https://x/c_fill,w_600/x.jpg 600w, https://x/c_fill,w_300/x.jpg 300w",
         [("https://x/c_fill,w_600/x.jpg", "600w"), ("https://x/c_fill,w_300/x.jpg", "300w")]),
        ("a.jpg 100w 200h, b.jpg", [("a.jpg", "100w 200h"), ("b.jpg", "")]),
        ("", []),
        (",,,", []),
    ],
)
def test_parse_srcset(value, expected):
    assert parse_srcset(value) == expected


def test_best_candidate():
    assert best_srcset_url("a.jpg 300w, b.jpg 900w, c.jpg 2000w", 1600) == "b.jpg"
    assert best_srcset_url("a.jpg 300w, b.jpg 900w", 100) == "a.jpg"
    assert best_srcset_url("a.jpg 1x, b.jpg 2x, c.jpg 3x", 1600, declared_width=600) == "b.jpg"
    assert best_srcset_url("only.jpg", 1600) == "only.jpg"
    assert best_srcset_url("", 1600) is None


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("img/a.jpg", "https://e.org/blog/post.html", "https://e.org/blog/img/a.jpg"),
        ("../a.jpg", "https://e.org/blog/post/", "https://e.org/blog/a.jpg"),
        ("/a.jpg", "https://e.org/blog/post.html", "https://e.org/a.jpg"),
        ("//cdn.e.org/a.jpg", "https://e.org/", "https://cdn.e.org/a.jpg"),
        ("  https://e.org/a.jpg#frag ", "https://x.org/", "https://e.org/a.jpg"),
        ("data:image/png;base64,xx", "https://e.org/", None),
        ("javascript:void(0)", "https://e.org/", None),
        ("ftp://e.org/a.jpg", "https://e.org/", None),
        ("", "https://e.org/", None),
        ("http://[::1", "https://e.org/", None),
    ],
)
def test_resolve(url, base, expected):
    assert resolve(url, base) == expected
