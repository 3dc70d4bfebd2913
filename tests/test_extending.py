"""docs/extending.md works as written: each example module, registered as the page says, runs in loom.

The examples are taken from the page itself (each module's block starts with ``# <path>``).
A source or a check must be registered before the config models are built, so those two run
in a fresh interpreter that registers them first, as the package's own registry does.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from builder.config import parse_config
from builder.context import RunContext
from builder.document import Document, ImageNode, TextNode
from builder.stage import FAILURES_KEY, run_stages
from tests.factories import image_bytes

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "extending.md"
PROSE = ("The harbour was quiet in the early morning, and the fishing boats rocked gently against the "
         "old stone wall while the gulls waited on the roofs of the sheds for the first catch of the day.")
PROSE_2 = ("By noon the market square was full of people buying bread, cheese and vegetables, and the children "
           "ran between the stalls while their parents talked about the weather and the price of fish.")


def example(path: str) -> str:
    """The code block of the page that starts with ``# <path>``."""
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    found = [b for b in blocks if b.startswith(f"# {path}\n")]
    assert len(found) == 1, f"docs/extending.md has no single example for {path}"
    return found[0]


def run_registered(tmp_path: Path, module: str, register: str, body: str) -> dict:
    """Run `body` in a new interpreter after loading `module` from the page and `register`ing it."""
    (tmp_path / "example.py").write_text(example(module), encoding="utf-8")
    script = textwrap.dedent(f"""
        import json, sys
        sys.path[:0] = [{str(REPO)!r}, {str(tmp_path)!r}]
        import example
        {register}
    """) + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_jsonl_source_runs_end_to_end_from_the_cli(tmp_path):
    rows = [{"url": f"https://example.org/{i}", "html": f"<html><body><article><p>{PROSE}</p>"
             f"<p>Story {i}. {PROSE_2}</p></article></body></html>"} for i in range(3)]
    lines = [json.dumps(r) for r in rows] + ["{not json", json.dumps({"url": "https://example.org/x"})]
    (tmp_path / "pages.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "run.yaml").write_text(
        "sources: [{type: jsonl, paths: [pages.jsonl]}]\nimages: {enabled: false}\n"
        "filters: {rules: {min_images: 0}}\nexecutor: {workers: 1}\ncard: {enabled: false}\n")
    (tmp_path / "typo.yaml").write_text("sources: [{type: jsonl, path: [pages.jsonl]}]\n")
    out = run_registered(tmp_path, "builder/sources/jsonl.py",
                         "from builder.sources import register_source; register_source(example.JsonlSource)", """
        from builder.cli import main
        from builder.config_reference import reference_markdown
        typo = main(["config", "check", "typo.yaml"])
        status = main(["run", "run.yaml", "--out", "out", "--quiet"])
        stats = json.load(open("out/stats.json"))
        manifest = json.load(open("out/manifest.json"))
        print(json.dumps({"typo": typo, "status": status, "samples": manifest["samples"],
                          "drops": stats["drops"], "counts": stats["counts"],
                          "documented": "sources[type=jsonl]" in reference_markdown()}))
    """)
    assert out["typo"] == 2 and out["status"] == 0 and out["documented"]
    assert out["samples"] == 3, out
    assert out["drops"]["record.bad_row"] == 2 and out["counts"]["record.in"] == 5


def test_a_max_line_length_check_gets_its_config_scores_and_reason(tmp_path):
    out = run_registered(tmp_path, "filters/checks/max_line_length.py",
                         "from filters.checks import register_check; register_check(example.MAX_LINE_LENGTH)", f"""
        from builder.config import LoomConfig
        from builder.config_reference import reference_markdown
        from builder.context import RunContext
        from builder.document import Document, TextNode
        from filters.config import FiltersConfig
        from filters.text_stage import TextFilterStage
        from filters.checks import TEXT_CHECKS
        only = {{c.name: {{"enabled": c.name == "max_line_length"}} for c in TEXT_CHECKS}}
        paragraph = {{**only, "max_line_length": {{"enabled": True, "max": 300}}}}
        config = FiltersConfig.model_validate({{"paragraph": paragraph,
                                               "document": {{**only, "lang": {{"enabled": False}}}}}})
        long_line = {PROSE!r} + " " + {PROSE_2!r} + " " + {PROSE!r}  # one line of about 550 characters
        doc = Document("d", "https://example.org/", [TextNode({PROSE!r}), TextNode(long_line)])
        ctx = RunContext(LoomConfig())
        kept = list(TextFilterStage(config)([doc], ctx))
        print(json.dumps({{"kept": [n.text == {PROSE!r} for n in kept[0].texts], "drops": dict(ctx.stats.drops),
                          "score": kept[0].texts[0].scores["max_line_length"],
                          "defaults": [FiltersConfig().paragraph.max_line_length.max,
                                       FiltersConfig().document.max_line_length.max],
                          "documented": "filters.paragraph.max_line_length" in reference_markdown()}}))
    """)
    assert out["kept"] == [True] and out["drops"] == {"paragraph.max_line_length": 1}
    assert out["score"] == len(PROSE) and out["defaults"] == [1000, 5000] and out["documented"]


def test_a_colourfulness_stage_removes_grey_images_with_its_reason(tmp_path):
    namespace: dict = {}
    exec(compile(example("filters/colourfulness.py"), str(PAGE), "exec"), namespace)
    stage_class, colourfulness = namespace["ColourfulnessStage"], namespace["colourfulness"]
    grey, red = image_bytes(color=(128, 128, 128), fmt="JPEG"), image_bytes(color=(200, 40, 40), fmt="JPEG")
    assert colourfulness(grey) < 10 < colourfulness(red)

    def doc() -> Document:
        return Document("d", "https://example.org/", [TextNode(PROSE),
                                                       ImageNode("https://example.org/g.jpg", data=grey),
                                                       ImageNode("https://example.org/r.jpg", data=red)])

    ctx = RunContext(parse_config({}))
    [kept] = run_stages([stage_class(10)], [doc()], ctx)
    assert [n.src for n in kept.images] == ["https://example.org/r.jpg"]
    assert ctx.stats.drops == {"image.colourfulness": 1}
    assert [(r.reason, r.url) for r in kept.removed] == [("image.colourfulness", "https://example.org/g.jpg")]
    # Annotate mode: nothing removed, the reason noted for `loom rethreshold`.
    ctx = RunContext(parse_config({}))
    [kept] = run_stages([stage_class(10, drop=False)], [doc()], ctx)
    assert len(kept.images) == 2 and not ctx.stats.drops
    assert kept.metadata[FAILURES_KEY] == {"image.colourfulness": 1}
