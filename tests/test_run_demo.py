"""`loom run` on the bundled demo, end to end, offline: the foundation's acceptance test."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from builder.cli import main
from builder.shards.reader import read_documents


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory, repo_dir):
    out = tmp_path_factory.mktemp("demo") / "out"
    assert main(["run", str(repo_dir / "configs/demo.yaml"), "--out", str(out), "--quiet"]) == 0
    return out


def test_writes_shards_manifest_stats_and_report(demo_out):
    manifest = json.loads((demo_out / "manifest.json").read_text())
    assert manifest["samples"] >= 5 and len(manifest["shards"]) >= 2  # max_samples: 4 rotates
    assert manifest["config"]["name"] == "demo"
    docs = list(read_documents(demo_out))
    assert len(docs) == manifest["samples"]
    assert (demo_out / "report.html").stat().st_size > 1000
    for doc in docs:
        assert doc.images and doc.texts
        assert all(node.data for node in doc.images)
        assert doc.provenance.warc_file.endswith("site.warc.gz")
        assert "demo.loom.example" in doc.url


def test_the_books_balance_and_reasons_are_named(demo_out):
    stats = json.loads((demo_out / "stats.json").read_text())
    for unit, books in stats["balance"].items():
        assert books["in"] == books["out"] + books["dropped"], unit
    drops = stats["drops"]
    assert drops["record.request"] > 0 and drops["record.revisit"] == 1 and drops["record.http_error"] == 1
    assert drops["image.noai"] == 2  # the page that opts out of AI use keeps its pictures
    # The cut-off picture does not decode; its 320 px srcset candidate, also archived, serves instead.
    assert drops.get("image.truncated", 0) + drops.get("image.decode_error", 0) == 0
    assert stats["counts"]["image.candidate_alternate.warc"] == 1
    assert sum(n for reason, n in drops.items() if reason.startswith("doc.")) == 3  # French, tags, opt-out
    assert stats["balance"]["doc"]["out"] == 6


def test_pages_the_filters_drop_are_kept_as_rejects(demo_out):
    rejects = list(read_documents(demo_out / "rejects"))
    urls = {d.url.rsplit("/", 1)[-1]: d.metadata["drop_reason"] for d in rejects}
    assert set(urls) == {"marche-du-samedi.html", "tags.html", "private-gallery.html"}
    # The root cause, not the symptom: the French page lost every paragraph to the stopword
    # filter (not doc.words); the opted-out page lost its images to image.noai (not too_few_images).
    assert urls["marche-du-samedi.html"] == "doc.no_text_left"
    assert urls["private-gallery.html"] == "doc.no_image_left"
    by_url = {d.url.rsplit("/", 1)[-1]: d for d in rejects}
    french = by_url["marche-du-samedi.html"]
    assert french.metadata["drop_causes"] == {"paragraph.stopwords": len(french.removed)}
    assert {r.kind for r in french.removed} == {"text"} and all(r.text for r in french.removed)
    gallery = by_url["private-gallery.html"]
    assert [(r.kind, r.reason) for r in gallery.removed] == [("image", "image.noai")] * 2
    stats = json.loads((demo_out / "stats.json").read_text())
    assert stats["drop_causes"]["doc.no_image_left"] == {"image.noai": 1}
    assert stats["drop_causes"]["doc.no_text_left"]["paragraph.stopwords"] >= 1


def test_kept_documents_record_what_was_removed_from_them(demo_out):
    removed = [r for d in read_documents(demo_out) for r in d.removed]
    assert removed, "the demo's kept pages lose boilerplate paragraphs and a truncated picture"
    assert all(r.reason.startswith(("paragraph.", "image.")) for r in removed)


def test_rerun_resumes_without_redoing_work(demo_out, repo_dir):
    before = {p.name: p.read_bytes() for p in demo_out.glob("*.tar")}
    result = subprocess.run([sys.executable, "-m", "builder.cli", "run", str(repo_dir / "configs/demo.yaml"),
                             "--out", str(demo_out), "--quiet"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "1 resumed" in result.stdout
    assert {p.name: p.read_bytes() for p in demo_out.glob("*.tar")} == before


def test_overwrite_rebuild_is_byte_identical(demo_out, repo_dir, tmp_path):
    again = tmp_path / "again"
    assert main(["run", str(repo_dir / "configs/demo.yaml"), "--out", str(again), "--quiet"]) == 0
    for shard in demo_out.glob("*.tar"):
        assert (again / shard.name).read_bytes() == shard.read_bytes()


def test_another_config_into_the_same_folder_is_refused(demo_out, tmp_path, repo_dir, capsys):
    other = tmp_path / "other.yaml"
    other.write_text((repo_dir / "configs/demo.yaml").read_text().replace("max_samples: 4", "max_samples: 5")
                     .replace("demo/site.warc.gz", str(repo_dir / "configs/demo/site.warc.gz")))
    assert main(["run", str(other), "--out", str(demo_out), "--quiet"]) == 2
    assert "another config" in capsys.readouterr().err
