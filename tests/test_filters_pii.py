"""PII placeholders: crafted edge cases, the stage's counts, and real pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, ImageNode, TextNode
from filters.config import FiltersConfig
from filters.pii import PiiScrubber
from filters.stage import build_filter_stages
from tests.support.presets import obelics_preset

SCRUB = PiiScrubber(phone=True)

CASES = [  # (text, expected text, replacements by kind)
    ("Write to john.doe@example.com today.", "Write to <EMAIL> today.", {"email": 1}),
    ("mailto:jane@mail.example.org", "mailto:<EMAIL>", {"email": 1}),
    ("https://x.org/join?email=ann@example.net&x=1", "https://x.org/join?email=<EMAIL>&x=1", {"email": 1}),
    ("email: a@b.co.uk.", "email: <EMAIL>.", {"email": 1}),
    # Not e-mail addresses: a retina file name, a URL's user part or path, a handle.
    ("see https://cdn.site.com/img/logo@2x.png and icon@3x.webp", None, {}),
    ("https://user@example.com/x https://medium.com/@someone/post @someone", None, {}),
    # Public addresses go; private, loopback and documentation ones stay.
    ("Server 8.8.8.8, router 192.168.1.1, local 127.0.0.1, 10.0.0.7", "Server <IP>, router 192.168.1.1, "
     "local 127.0.0.1, 10.0.0.7", {"ip": 1}),
    ("IPv6 2606:4700:4700::1111 but not 2001:db8::1, fe80::1 or ::1", "IPv6 <IP> but not 2001:db8::1, fe80::1 "
     "or ::1", {"ip": 1}),
    # Version numbers that look like addresses stay.
    ("version 1.2.3.4, v2.0.0.1, 1.2.3.4.5 and Chrome 120.0.6099.109", None, {}),
    ("at 12:30:45, ratio 3:2, price 1.234.567", None, {}),
    # Phones (optional): international and local groupings; dates, times and ISBNs stay.
    ("Call +1 415-555-0132 or (020) 7946 0958.", "Call <PHONE> or <PHONE>.", {"phone": 2}),
    ("Posted 2019-01-21 12:49, 08.04.2015 13:46; ISBN 978-3-16-148410-0", None, {}),
]


@pytest.mark.parametrize(("text", "expected", "counts"), CASES)
def test_crafted_cases(text: str, expected: str | None, counts: dict[str, int]) -> None:
    out, found = SCRUB.scrub(text)
    assert out == (text if expected is None else expected)
    assert dict(found) == counts


def test_kinds_can_be_turned_off() -> None:
    text = "mail a@example.com from 8.8.8.8 or call +1 415-555-0132"
    assert PiiScrubber().scrub(text)[0] == "mail <EMAIL> from <IP> or call +1 415-555-0132"  # phone: off
    assert PiiScrubber(email=False, ip=False, phone=False).scrub(text)[0] == text


def run_filters(config: FiltersConfig, docs: list[Document]) -> tuple[list[Document], RunContext]:
    ctx = RunContext(config=LoomConfig())
    before, _ = build_filter_stages(config)
    stream = iter(docs)
    for stage in before:
        stream = stage(stream, ctx)
    return list(stream), ctx


PROSE = ("The museum opened a new wing this spring, and the curators spent the winter moving the "
         "paintings from the old galleries into the bright rooms that look over the river.")


def test_stage_counts_per_kind_in_stats_and_per_document() -> None:
    config = FiltersConfig.model_validate({"action": "annotate", "pii": {"enabled": True, "phone": True}})
    doc = Document("a", "https://example.org/a", [
        TextNode(PROSE + " Write to curator@museum.example.com or call +44 20 7946 0958."),
        ImageNode("https://example.org/a.jpg", alt="photo by ann@example.net", caption="taken at 8.8.4.4"),
        TextNode(PROSE + " Our office: press@museum.example.com.")])
    (out,), ctx = run_filters(config, [doc])
    assert out.metadata["pii"] == {"email": 3, "phone": 1, "ip": 1}
    assert ctx.stats.counts["pii.email"] == 3 and ctx.stats.counts["pii.ip"] == 1
    assert ctx.stats.counts["pii.phone"] == 1
    assert "<EMAIL>" in out.texts[0].text and out.images[0].alt == "photo by <EMAIL>"
    assert out.images[0].caption == "taken at <IP>"


def test_off_by_default_and_in_the_obelics_preset(repo_dir: Path) -> None:

    assert not FiltersConfig().pii.enabled
    assert not obelics_preset().filters.pii.enabled
    doc = Document("a", "https://example.org/a", [TextNode(PROSE + " Mail curator@museum.example.com.")])
    (out,), ctx = run_filters(FiltersConfig(action="annotate"), [doc])
    assert "curator@museum.example.com" in out.texts[0].text and "pii.email" not in ctx.stats.counts


def test_real_pages(shared_dir: Path) -> None:
    """On the real pages: every address a plain pattern finds is replaced, and only those are."""
    import re

    from builder.extract import ExtractRejected, extract_document

    plain = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?!png|jpe?g|gif|webp)[A-Za-z]{2,}")
    pages = sorted((shared_dir / "corpus" / "html").rglob("*.html"))
    scrub = PiiScrubber()
    replaced = pages_with = 0
    for path in pages:
        try:
            doc = extract_document(path.read_bytes(), "https://example.org/")
        except ExtractRejected:
            continue
        for node in doc.texts:
            out, found = scrub.scrub(node.text)
            assert not plain.search(out), (path.name, out)
            assert out.count("<EMAIL>") - node.text.count("<EMAIL>") == found["email"]
            replaced += found["email"]
            pages_with += bool(found)
    assert replaced >= 5 and pages_with >= 4  # the corpus holds a handful of contact addresses
