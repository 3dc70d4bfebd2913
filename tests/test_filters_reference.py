"""loom's fast filters decide exactly what the plain OBELICS reference decides.

Twice: loom's defaults against the reference given loom's lists, and `configs/obelics.yaml`
against the reference given OBELICS's own lists with the text measured as it is.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, ImageNode, TextNode
from filters.config import FiltersConfig
from filters.text_scoring import WordListSet
from filters.text_stage import TextFilterStage
from tests.support.obelics_reference import first_failure, obelics_lists, words
from tests.support.presets import obelics_preset

REPO = Path(__file__).resolve().parent.parent


def obelics_filters() -> FiltersConfig:
    return obelics_preset().filters


def reference_decisions(doc: Document, config: FiltersConfig,
                        lists: WordListSet | None = None) -> tuple[list[str | None], str | None]:
    lists = lists or WordListSet.load(config.languages[0], config.word_lists.common_words_top_n)
    texts = [n.text for n in doc.texts]
    reasons = [first_failure(t, config.paragraph, lists, config.languages) for t in texts]
    left = [t for t, r in zip(texts, reasons) if r is None]
    doc_reason = first_failure("\n\n".join(left), config.document, lists, config.languages)
    if doc_reason is not None and texts and not left:
        doc_reason = "no_text_left"  # loom names the cause: the paragraph filters emptied the document
    return reasons, doc_reason


def loom_document_reason(doc: Document, stage: TextFilterStage) -> str | None:
    ctx = RunContext(config=LoomConfig())
    kept = list(stage([doc], ctx))
    reasons = [k.removeprefix("doc.") for k in ctx.stats.drops if k.startswith("doc.")]
    assert len(reasons) == (0 if kept else 1)
    return reasons[0] if reasons else None


def check_same(docs: list[Document], config: FiltersConfig | None = None,
               lists: WordListSet | None = None) -> int:
    config = config or FiltersConfig()
    lists = lists or WordListSet.load(config.languages[0], config.word_lists.common_words_top_n)
    annotate = TextFilterStage(config.model_copy(update={"action": "annotate"}))
    stage = TextFilterStage(config)  # one stage each: word lists load once
    checked = 0
    for doc in docs:
        ref_paragraphs, ref_doc = reference_decisions(doc, config, lists)
        scored = Document(doc.id, doc.url, [TextNode(n.text) for n in doc.texts])
        next(annotate([scored], RunContext(config=LoomConfig())))
        ours = [(stage.paragraph.failures(n.scores) or [None])[0] for n in scored.texts]
        assert ours == ref_paragraphs, doc.url
        copy = Document(doc.id, doc.url, [TextNode(n.text) for n in doc.texts] + [ImageNode("https://x.org/a.jpg")])
        assert loom_document_reason(copy, stage) == ref_doc, doc.url
        checked += 1
    return checked


def crafted_documents() -> list[Document]:
    rng = random.Random(3)
    pieces = ["The museum opened a new wing this spring.", "Click here to subscribe!", "$$$ 100% off!!!",
              "and the of to in is it that", "Zorblax quintuple frobnic.", "buy buy buy buy buy buy",
              "Read more", "Sign up for our newsletter.", "It was the best of times, it was the worst of times.",
              "Thanks, we can tell us next time.", "I don\u2019t think it\u2019s very late.",
              "Very very nice porn site."]
    docs = []
    for i in range(40):
        paragraphs = [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(rng.randint(1, 8))]
        docs.append(Document(f"c{i}", f"https://example.org/{i}", [TextNode(p) for p in paragraphs]))
    return docs


def test_crafted_documents_match_the_reference() -> None:
    assert check_same(crafted_documents()) == 40


def test_obelics_preset_matches_the_reference_with_obelics_lists() -> None:
    assert check_same(crafted_documents(), obelics_filters(), obelics_lists()) == 40


def test_obelics_lists_are_obelics_own() -> None:
    lists = obelics_lists()
    assert lists.stopwords is not None and len(lists.stopwords) == 301
    assert lists.flagged is not None and len(lists.flagged) == 67
    # The words that set OBELICS's list apart from Snowball's (the measured causes).
    assert {"us", "next", "thanks", "can"} <= lists.stopwords and "very" not in lists.stopwords
    config = obelics_filters()
    assert (config.word_lists.stopwords, config.word_lists.flagged_words) == ("obelics", "obelics")
    assert not config.paragraph.spam.enabled and not config.word_lists.straight_apostrophes
    preset = WordListSet.for_config("en", config.word_lists)
    assert preset.stopwords == lists.stopwords and preset.flagged == lists.flagged
    loom = WordListSet.for_config("en", FiltersConfig().word_lists)
    assert loom.stopwords is not None and "very" in loom.stopwords and "thanks" not in loom.stopwords


def test_obelics_measures_curly_apostrophes_as_they_are() -> None:
    text = "I don\u2019t think it\u2019s late"
    assert "it's" in words(text, straighten=True) and "it\u2019s" in words(text)
    doc = Document("a", "https://example.org/a", [TextNode(text)])
    for config, expect_stop in ((FiltersConfig(), True), (obelics_filters(), False)):
        annotate = config.model_copy(update={"action": "annotate"})
        scored = next(TextFilterStage(annotate)([doc], RunContext(config=LoomConfig())))
        ratio = scored.texts[0].scores["stopword_ratio"]
        # loom's Snowball list holds "don't" and "it's"; OBELICS's holds "it's" but sees "it’s".
        assert (ratio > 0.5) is expect_stop, (config.word_lists, ratio)


def test_obelics_final_step_spam_list_is_an_option() -> None:
    config = FiltersConfig.model_validate({"word_lists": {"spam": "obelics"}})
    lists = WordListSet.for_config("en", config.word_lists)
    assert lists.spam is not None and len(lists.spam) == 40 and ("click",) in lists.spam["click"]
    doc = Document("s", "https://example.org/s", [TextNode("Click share and follow us on facebook today please")])
    scored = next(TextFilterStage(config.model_copy(update={"action": "annotate"}))(
        [doc], RunContext(config=LoomConfig())))
    assert scored.texts[0].scores["spam_ratio"] == 4 / 9


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
    assert check_same(docs, obelics_filters(), obelics_lists()) == len(docs)
