"""Text filters at each threshold's edge (just inside keeps, just outside drops), OBELICS config."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, ImageNode, TextNode
from filters.config import FiltersConfig
from filters.stage import build_filter_stages
from filters.text_stage import TextFilterStage
from tests.support.presets import obelics_preset

PROSE = ("The museum opened a new wing this spring, and the curators spent the winter moving "
         "paintings from the old galleries into the bright rooms that face the river.")
PROSE_2 = ("Visitors can now walk through the collection in the order the works were made, "
           "which makes it easier to see how the painters learned from one another.")


def make_doc(*texts: str, images: int = 1) -> Document:
    nodes: list = [TextNode(t) for t in texts]
    nodes += [ImageNode(f"https://example.org/photo{i}.jpg") for i in range(images)]
    return Document(id="d1", url="https://example.org/a", nodes=nodes)


def only(level: str, name: str, **params: object) -> FiltersConfig:
    """A config where one filter of one level is on (the others off), with `params`."""
    names = ["words", "char_repetition", "word_repetition", "special_chars", "stopwords",
             "flagged_words", "punctuation", "common_words", "spam", "lang"]
    off = {n: {"enabled": False} for n in names}
    data = {"paragraph": dict(off), "document": dict(off)}
    data[level][name] = {"enabled": True, **params}
    return FiltersConfig.model_validate(data)


def run_text(doc: Document, config: FiltersConfig) -> tuple[Document | None, RunContext]:
    ctx = RunContext(config=LoomConfig())
    out = list(TextFilterStage(config)([doc], ctx))
    return (out[0] if out else None), ctx


def kept_paragraphs(doc: Document, config: FiltersConfig) -> tuple[list[str], RunContext]:
    out, ctx = run_text(doc, config)
    return ([n.text for n in out.texts] if out else []), ctx


def test_paragraph_word_count_edges() -> None:
    cfg = only("paragraph", "words", min=4, max=6)
    texts, ctx = kept_paragraphs(make_doc("one two three", "one two three four",
                                          "a b c d e f", "a b c d e f g"), cfg)
    assert texts == ["one two three four", "a b c d e f"]
    # Each bound has its own reason: too few words is not too many.
    assert ctx.stats.drops["paragraph.words_below_min"] == 1
    assert ctx.stats.drops["paragraph.words_above_max"] == 1
    assert "paragraph.words" not in ctx.stats.drops
    assert ctx.stats.counts["paragraph.in"] == 4 and ctx.stats.counts["paragraph.out"] == 2


def test_word_repetition_edge_at_obelics_paragraph_cutoff() -> None:
    head = "alpha beta gamma delta epsilon"
    inside = " ".join([head, *[f"x{chr(97 + i)}" for i in range(14)], head])   # 2 repeated of 20 = 0.1
    outside = " ".join([head, *[f"x{chr(97 + i)}" for i in range(13)], head])  # 2 of 19 > 0.1
    cfg = only("paragraph", "word_repetition", n=5, max=0.1)
    texts, ctx = kept_paragraphs(make_doc(inside, outside), cfg)
    assert texts == [inside]
    assert ctx.stats.drops["paragraph.word_repetition"] == 1


@pytest.mark.parametrize(("name", "key", "bound", "text"), [
    ("char_repetition", "char_repetition", "max", "ab" * 10 + " " + PROSE),
    ("special_chars", "special_char_ratio", "max", "Prices: $12.50, $13.75 & 20% off!"),
    ("stopwords", "stopword_ratio", "min", PROSE),
    ("flagged_words", "flagged_word_ratio", "max", "the porn site was blocked by the school network"),
    ("punctuation", "punctuation_ratio", "min", PROSE + " " + PROSE_2),
    ("common_words", "common_word_ratio", "min", "the zxqv museum blorft opened"),
    ("spam", "spam_ratio", "less_than", "Subscribe to our newsletter for the latest museum news today"),
])
def test_each_paragraph_ratio_keeps_at_its_cutoff_and_drops_past_it(
        name: str, key: str, bound: str, text: str) -> None:
    probe, _ = run_text(make_doc(text), only("paragraph", name).model_copy(update={"action": "annotate"}))
    score = probe.texts[0].scores[key]
    assert 0.0 < score < 1.0
    eps = 1e-9
    if bound == "max":
        inside, outside = {"max": score}, {"max": score - eps}
    elif bound == "min":
        inside, outside = {"min": score}, {"min": score + eps}
    else:  # strict: keep below the cutoff
        inside, outside = {"less_than": score + eps}, {"less_than": score}
    assert kept_paragraphs(make_doc(text), only("paragraph", name, **inside))[0] == [text]
    texts, ctx = kept_paragraphs(make_doc(text), only("paragraph", name, **outside))
    assert texts == [] and ctx.stats.drops[f"paragraph.{name}"] == 1


def test_document_level_is_judged_on_the_text_left_after_paragraphs() -> None:
    cfg = FiltersConfig.model_validate({
        "paragraph": {"words": {"min": 4, "max": 1000}},
        "document": {"words": {"min": 20, "max": 2000}},
    })
    doc = make_doc(PROSE, "tiny", PROSE_2)
    out, ctx = run_text(doc, cfg)
    assert out is not None and [n.text for n in out.texts] == [PROSE, PROSE_2]
    assert out.scores["words"] == len((PROSE + " " + PROSE_2).split())
    assert out.scores["lang_en"] > 0.8 and out.metadata["lang"] == "en"
    # Every kept paragraph carries its scores; so does the document.
    assert {"words", "stopword_ratio", "common_word_ratio"} <= set(out.texts[0].scores)
    assert ctx.stats.drops["paragraph.words_below_min"] == 1


def test_language_filter_drops_a_document_in_an_unwanted_language() -> None:
    french = ("Le musée a ouvert une nouvelle aile ce printemps, et les conservateurs ont passé "
              "l'hiver à déplacer les tableaux des anciennes galeries vers les salles lumineuses.")
    cfg = only("document", "lang", min_score=0.8)
    assert run_text(make_doc(PROSE, PROSE_2), cfg)[0] is not None
    out, ctx = run_text(make_doc(french), cfg)
    assert out is None and ctx.stats.drops["doc.lang"] == 1
    # Wanting French as well keeps it.
    cfg_fr = cfg.model_copy(update={"languages": ["en", "fr"]})
    assert run_text(make_doc(french), cfg_fr)[0] is not None


def test_obelics_config_decisions_on_crafted_paragraphs(repo_dir: Path) -> None:
    """With configs/obelics.yaml: OBELICS's decision on each crafted paragraph."""
    config = obelics_preset().filters
    cases = {
        PROSE: None,                                             # good prose: kept
        "Read more": "words_below_min",                                  # 2 words < 4
        "Home | News | Sport | Weather | Contact | About": "special_chars",
        "buy buy buy buy buy buy buy buy buy buy buy buy": "char_repetition",
        "Apple Banana Cherry Mango Papaya Kiwi Grape Lemon": "stopwords",  # no stop words
        ("the the of and qzxv blorft wumple snargle frobnic glimber twazzle of a "
         "in on zorp."): "common_words",
    }
    # OBELICS had no spam check at its filtering step: a spammy paragraph is kept.
    spam = "Subscribe to our newsletter and sign up for free shipping on all orders and the latest news."
    doc = make_doc(*cases, spam, PROSE_2)
    ctx = RunContext(config=LoomConfig())
    out = list(TextFilterStage(config)([doc], ctx))
    assert len(out) == 1
    assert [n.text for n in out[0].texts] == [PROSE, spam, PROSE_2]
    assert "paragraph.spam" not in ctx.stats.drops
    expected_drops = [reason for reason in cases.values() if reason]
    for reason in set(expected_drops):
        assert ctx.stats.drops[f"paragraph.{reason}"] == expected_drops.count(reason), reason


def test_document_dropped_with_reason_counts_its_images_and_paragraphs() -> None:
    cfg = FiltersConfig()
    doc = make_doc("Too short.", images=3)
    ctx = RunContext(config=LoomConfig())
    before, _ = build_filter_stages(cfg)
    assert list(before[0]([doc], ctx)) == []
    assert ctx.stats.drops["paragraph.words_below_min"] == 1
    # Its only paragraph was removed: the root cause, not the symptom (doc.words_below_min)
    assert ctx.stats.drops["doc.no_text_left"] == 1 and "doc.words_below_min" not in ctx.stats.drops
    assert ctx.stats.causes["doc.no_text_left"] == {"paragraph.words_below_min": 1}
    assert ctx.stats.drops["image.in_dropped_doc"] == 3


def test_annotate_mode_scores_everything_and_drops_nothing() -> None:
    cfg = FiltersConfig(action="annotate")
    doc = make_doc(PROSE, "tiny")
    out, ctx = run_text(doc, cfg)
    assert out is not None and len(out.texts) == 2
    assert out.metadata["filter_failures"]["paragraph.words_below_min"] == 1
    assert "stopword_ratio" in out.texts[1].scores  # scored past its first failure
    assert not ctx.stats.drops


def test_partial_yaml_keeps_the_level_defaults() -> None:
    cfg = FiltersConfig.model_validate({"paragraph": {"words": {"max": 500}},
                                        "document": {"stopwords": {"min": 0.4}}})
    assert (cfg.paragraph.words.min, cfg.paragraph.words.max) == (4, 500)
    assert (cfg.document.words.min, cfg.document.words.max) == (10, 2000)
    assert cfg.document.stopwords.min == 0.4 and cfg.paragraph.stopwords.min == 0.3


def test_word_lists_follow_the_document_language() -> None:
    german = ("Das Museum hat in diesem Frühjahr einen neuen Flügel eröffnet, und die Kuratoren haben "
              "den Winter damit verbracht, die Bilder aus den alten Galerien in die hellen Räume zu bringen.")
    cfg = FiltersConfig(languages=["en", "de"])
    out, ctx = run_text(make_doc(german), cfg)
    assert out is not None and out.metadata["lang"] == "de"
    assert out.texts[0].scores["stopword_ratio"] >= 0.3  # German stop words, not English ones
    # Judged with the English lists (English only wanted), the same text fails.
    out_en, ctx_en = run_text(make_doc(german), FiltersConfig(languages=["en"]))
    assert out_en is None and ctx_en.stats.drops["paragraph.stopwords"] == 1


def test_stages_pickle_for_worker_processes() -> None:
    import pickle

    stage = TextFilterStage(FiltersConfig())
    run_text(make_doc(PROSE, PROSE_2), FiltersConfig())
    list(stage([make_doc(PROSE, PROSE_2)], RunContext(config=LoomConfig())))
    clone = pickle.loads(pickle.dumps(stage))
    assert len(pickle.dumps(stage)) < 50_000  # word lists stay behind
    assert list(clone([make_doc(PROSE, PROSE_2)], RunContext(config=LoomConfig())))


def test_lone_surrogates_do_not_break_scoring() -> None:
    broken = "The museum opened a new wing \udcff this spring, and the curators moved the paintings."
    out, _ = run_text(make_doc(broken, PROSE), FiltersConfig(action="annotate"))
    assert out is not None and out.scores["lang_en"] > 0.5
    assert out.texts[0].scores["words"] == 14  # the surrogate alone is no word


def test_gopher_repetition_checks_drop_a_repetitive_document() -> None:
    cfg = FiltersConfig.model_validate({"repetition": {"enabled": True}})
    fresh, _ = run_text(make_doc(PROSE, PROSE_2), cfg)
    assert fresh is not None and fresh.scores["dup_para_frac"] == 0.0
    # The same paragraph three times: 2 of 3 paragraphs repeat (0.67 > 0.3). Only the
    # repetition checks are on, so they name the reason.
    only_rep = only("document", "words").model_copy(update={"repetition": cfg.repetition})
    out, ctx = run_text(make_doc(PROSE, PROSE, PROSE), only_rep)
    assert out is None
    assert ctx.stats.drops["doc.dup_line_frac"] == 1  # lines are checked first
