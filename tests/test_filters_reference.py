"""loom's fast filters decide exactly what the plain OBELICS reference decides."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, ImageNode, TextNode
from filters.config import FiltersConfig
from filters.obelics_reference import first_failure
from filters.text_scoring import WordListSet
from filters.text_stage import TextFilterStage


def reference_decisions(doc: Document, config: FiltersConfig) -> tuple[list[str | None], str | None]:
    lists = WordListSet.load(config.languages[0], config.word_lists.common_words_top_n)
    texts = [n.text for n in doc.texts]
    reasons = [first_failure(t, config.paragraph, lists, config.languages) for t in texts]
    left = [t for t, r in zip(texts, reasons) if r is None]
    return reasons, first_failure("\n\n".join(left), config.document, lists, config.languages)


def loom_document_reason(doc: Document, config: FiltersConfig) -> str | None:
    ctx = RunContext(config=LoomConfig())
    kept = list(TextFilterStage(config)([doc], ctx))
    reasons = [k.removeprefix("doc.") for k in ctx.stats.drops if k.startswith("doc.")]
    assert len(reasons) == (0 if kept else 1)
    return reasons[0] if reasons else None


def check_same(docs: list[Document]) -> int:
    config = FiltersConfig()
    annotate = config.model_copy(update={"action": "annotate"})
    checked = 0
    for doc in docs:
        ref_paragraphs, ref_doc = reference_decisions(doc, config)
        scored = Document(doc.id, doc.url, [TextNode(n.text) for n in doc.texts])
        TextFilterStage(annotate)([scored], RunContext(config=LoomConfig())).__next__()
        scorer = TextFilterStage(config).paragraph
        ours = [(scorer.failures(n.scores) or [None])[0] for n in scored.texts]
        assert ours == ref_paragraphs, doc.url
        copy = Document(doc.id, doc.url, [TextNode(n.text) for n in doc.texts] + [ImageNode("https://x.org/a.jpg")])
        assert loom_document_reason(copy, config) == ref_doc, doc.url
        checked += 1
    return checked


def test_crafted_documents_match_the_reference() -> None:
    rng = random.Random(3)
    pieces = ["The museum opened a new wing this spring.", "Click here to subscribe!", "$$$ 100% off!!!",
              "and the of to in is it that", "Zorblax quintuple frobnic.", "buy buy buy buy buy buy",
              "Read more", "Sign up for our newsletter.", "It was the best of times, it was the worst of times."]
    docs = []
    for i in range(30):
        paragraphs = [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(rng.randint(1, 8))]
        docs.append(Document(f"c{i}", f"https://example.org/{i}", [TextNode(p) for p in paragraphs]))
    assert check_same(docs) == 30


def test_real_pages_match_the_reference(shared_dir: Path) -> None:
    from builder.extract import ExtractRejected, extract_document

    docs = []
    with open(shared_dir / "eval" / "extraction" / "splits.tsv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["split"] == "dev" and r["set"] in ("a", "c")]
    for row in rows[:60]:
        try:
            docs.append(extract_document((shared_dir / "corpus" / row["path"]).read_bytes(), row["url"]))
        except ExtractRejected:
            continue
    assert check_same(docs) == len(docs) > 20
