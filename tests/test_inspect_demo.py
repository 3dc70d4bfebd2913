"""End to end: `loom run` on the demo writes report.html, and the viewer shows that run as it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builder.cli import main as loom_main
from builder.inspect.corpus_index import CorpusIndex
from builder.inspect.summary import summarize
from builder.shards.reader import read_documents

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "configs" / "demo.yaml"


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPO / "configs" / "demo" / "site.warc.gz").is_file():
        pytest.skip("demo WARC not built (python -m builder.demo)")
    out = tmp_path_factory.mktemp("demo") / "out"
    assert loom_main(["run", str(DEMO), "--out", str(out), "--quiet"]) == 0
    return out


def test_run_writes_a_report_that_matches_its_stats(demo_out: Path) -> None:
    report = demo_out / "report.html"
    assert report.is_file()
    html = report.read_text(encoding="utf-8")
    stats = json.loads((demo_out / "stats.json").read_text())
    n_out = stats["counts"]["doc.out"]
    assert n_out > 0
    assert f'id="card-documents"><div class="value">{n_out:,}<' in html
    assert "<script" not in html.lower()


def test_index_agrees_with_the_shard_reader(demo_out: Path) -> None:
    index = CorpusIndex.build(demo_out)
    docs = list(read_documents(demo_out))
    assert [e.key for e in index.kept.samples] == [d.id for d in docs]
    for entry, doc in zip(index.kept.samples, docs, strict=True):
        assert entry.url == doc.url and entry.n_images_stored == len(doc.images)
        for i, node in enumerate(doc.images):
            assert index.read_member(entry, f"{i}.{node.ext}") == node.data
    s = summarize(index)
    assert s.problems == []
    stats = json.loads((demo_out / "stats.json").read_text())
    assert s.documents == stats["counts"]["doc.out"] and s.images == stats["counts"]["image.out"]
    funnels = {f.unit: f for f in s.funnels}
    assert funnels["doc"].balanced and funnels["image"].balanced
    # the demo keeps its rejects: each carries the reason it was dropped
    assert 0 < s.rejects <= funnels["doc"].dropped
    assert all(e.drop_reason.startswith("doc.") for e in index.rejects.samples)
