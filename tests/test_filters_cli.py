"""`loom rethreshold`: new thresholds applied to finished shards from their stored scores."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image

from builder.cli import main
from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, ImageNode, TextNode
from builder.shards.reader import read_documents
from builder.shards.writer import ShardWriter
from filters.config import FiltersConfig
from filters.stage import build_filter_stages

PROSE = ("The museum opened a new wing this spring, and the curators spent the winter moving "
         "paintings from the old galleries into the bright rooms that face the river.")
LIST_LIKE = ("Opening hours, tickets, guided tours, school visits, accessibility, shop, cafe, "
             "membership, donations, volunteering, press, careers and contact details.")


def scored_shards(folder: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 20, 30)).save(buf, "PNG")
    docs = [Document(f"doc{i}", f"https://example.org/{i}", [
        TextNode(PROSE), TextNode(LIST_LIKE),
        ImageNode(f"https://example.org/{i}.png", info={"width": 300, "height": 200, "format": "png"},
                  data=buf.getvalue())]) for i in range(4)]
    before, after = build_filter_stages(FiltersConfig(action="annotate"))
    ctx = RunContext(config=LoomConfig())
    stream = iter(docs)
    for stage in [*before, *after]:
        stream = stage(stream, ctx)
    with ShardWriter(folder, "scored") as writer:
        for doc in stream:
            writer.write(doc)


def test_rethreshold_command_writes_new_shards_and_stats(tmp_path: Path, capsys) -> None:
    scored_shards(tmp_path / "scored")
    list_like_stop = next(read_documents(tmp_path / "scored")).texts[1].scores["stopword_ratio"]
    config = tmp_path / "strict.yaml"
    # Paragraph stop-word minimum just above the list-like paragraph's share: it goes, prose stays.
    config.write_text(f"filters:\n  paragraph:\n    stopwords: {{min: {list_like_stop + 0.001}}}\n")
    code = main(["rethreshold", str(tmp_path / "scored"), "--config", str(config), "--out", str(tmp_path / "new")])
    assert code == 0
    out = list(read_documents(tmp_path / "new"))
    assert len(out) == 4 and all([n.text for n in d.texts] == [PROSE] for d in out)
    # ... and each document records what the new thresholds removed, where it was
    assert all([(r.position, r.reason, r.text) for r in d.removed] == [(1, "paragraph.stopwords", LIST_LIKE)]
               for d in out)
    assert all(len(d.images) == 1 and d.images[0].data for d in out)
    stats = json.loads((tmp_path / "new" / "rethreshold_stats.json").read_text())
    assert stats["drops"]["paragraph.stopwords"] == 4
    assert stats["balance"]["doc"] == {"in": 4, "out": 4, "dropped": 0}
    assert "paragraph.stopwords" in capsys.readouterr().out
    assert (tmp_path / "new" / "manifest.json").exists()


def test_rethreshold_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    scored_shards(tmp_path / "scored")
    config = tmp_path / "c.yaml"
    config.write_text("filters: {}\n")
    assert main(["rethreshold", str(tmp_path / "scored"), "--config", str(config),
                 "--out", str(tmp_path / "scored")]) == 2


def test_rethreshold_that_drops_everything_into_a_new_folder(tmp_path: Path, capsys) -> None:
    scored_shards(tmp_path / "scored")
    config = tmp_path / "all.yaml"
    config.write_text("filters:\n  document: {words: {min: 100000}}\n")
    out = tmp_path / "not" / "yet"  # does not exist: no FileNotFoundError on manifest.json.tmp
    assert main(["rethreshold", str(tmp_path / "scored"), "--config", str(config), "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["samples"] == 0
    assert "every document was dropped" in capsys.readouterr().out
