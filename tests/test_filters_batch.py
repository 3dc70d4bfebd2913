"""The batch path (numpy over many paragraphs and documents) equals the scalar definitions."""

from __future__ import annotations

import copy
import random
import re

import numpy as np
import pytest

from builder.config import LoomConfig
from builder.context import RunContext
from builder.document import Document, ImageNode, TextNode
from filters import batch_measures as bm
from filters import text_measures as tm
from filters.config import FiltersConfig
from filters.hashing import IdTable, string_ids
from filters.lang import identify, lang_sample
from filters.text_scoring import WordListSet
from filters.text_stage import TextFilterStage
from tests.support import batch_measures as one_by_one

# Pieces that test the edges: the one letter that lower-cases to two characters, typographic
# apostrophes, whitespace other than the space (NBSP, ideographic, ogham, a control that
# str.split() splits on), combining marks, emoji, astral letters, a mark past U+40000,
# digits stuck to letters, punctuation runs, lone surrogates, spam and stop words.
PIECES = ["The", "museum", "opened,", "a", "new", "wing.", "İstanbul", "don’t", "it's", "\u00a0", "\u3000",
          "\u1680", "\x1c", "e\u0301t\u00e9", "\U0001F600", "\U00020000ab", "a\U000E0100", "3D", "1990s",
          "--", "!!!", "x_y", "\ud800", "sign", "up", "newsletter", "cookie", "policy", "\t", "\n", "\n\n",
          "of", "the", "and", "to", "Ölçü", "ΣΑΣ", "naïve", "¡Olé!", "fuck", "buy", "buy"]


def random_texts(rng: random.Random, n: int) -> list[str]:
    texts = []
    for _ in range(n):
        size = rng.choice([0, 1, 3, 8, 30, 200])
        texts.append(" ".join(rng.choice(PIECES) for _ in range(size)))
    return texts


@pytest.fixture(scope="module")
def lists() -> WordListSet:
    return WordListSet.load("en", 100_000)


def test_words_become_the_ids_of_words_of(lists: WordListSet) -> None:
    texts = random_texts(random.Random(1), 300) + ["", "   ", "İİİ x", "a\u2019b"]
    ids, offsets = one_by_one.words_and_ids(texts)
    for i, text in enumerate(texts):
        expected = tm.words_of(text)
        got = ids[offsets[i]:offsets[i + 1]]
        assert len(got) == len(expected), text
        if expected:
            assert (got == string_ids(expected)).all(), text


def test_every_paragraph_measure_equals_the_scalar_one(lists: WordListSet) -> None:
    texts = random_texts(random.Random(2), 400)
    m = bm.measure_paragraphs(texts, lists, 10, 5)
    for i, text in enumerate(texts):
        words = tm.words_of(text)
        assert m.chars[i] == len(text) and m.words[i] == len(words)
        assert m.special[i] == tm.special_char_count(text)
        assert (m.punct[i], m.tokens[i]) == tm.punctuation_counts(text)
        assert m.char_repetition[i] == pytest.approx(tm.char_repetition_ratio(text, 10), abs=1e-12), text
        assert m.word_repetition[i] == pytest.approx(tm.word_repetition_ratio(words, 5), abs=1e-12), text
        assert m.stop[i] == tm.count_in(words, lists.stopwords)
        assert m.flagged[i] == tm.count_in(words, lists.flagged)
        assert m.common[i] == tm.count_in(words, lists.common)
        assert m.spam[i] == tm.spam_word_count(words, lists.spam), text


def test_documents_measured_from_their_kept_paragraphs(lists: WordListSet) -> None:
    rng = random.Random(3)
    paragraphs = random_texts(rng, 60)
    keep = np.array([rng.random() < 0.6 for _ in paragraphs])
    para_offsets = np.array([0, 10, 10, 35, 60])  # the second document has no paragraph
    docs = ["\n\n".join(p for p, k in zip(paragraphs[a:b], keep[a:b]) if k)
            for a, b in zip(para_offsets[:-1], para_offsets[1:])]
    m = bm.measure_paragraphs(paragraphs, lists, 10, 5)
    d = bm.document_measures(m, keep, para_offsets, docs, 10, 5)
    for i, text in enumerate(docs):
        words = tm.words_of(text)
        assert d.chars[i] == len(text) and d.words[i] == len(words)
        assert d.special[i] == tm.special_char_count(text)
        assert (d.punct[i], d.tokens[i]) == tm.punctuation_counts(text)
        assert d.char_repetition[i] == pytest.approx(tm.char_repetition_ratio(text, 10), abs=1e-12)
        assert d.word_repetition[i] == pytest.approx(tm.word_repetition_ratio(words, 5), abs=1e-12)
        assert d.common[i] == tm.count_in(words, lists.common)


def test_more_paragraphs_than_a_key_can_number() -> None:
    # Keys hold 16 bits of paragraph number: past 65 535 paragraphs the work is split.
    texts = ["abcdefghijab" * 2 if i % 7 == 0 else f"p{i} unique text" for i in range(70_000)]
    ratios = one_by_one.char_repetition_ratios(texts, 10)
    for i in (0, 7, 65_534, 65_535, 65_536, 69_993, 69_999):
        assert ratios[i] == pytest.approx(tm.char_repetition_ratio(texts[i], 10)), i
    assert ratios[65_534] > 0 and ratios[65_535] == 0.0


def test_id_table_finds_exactly_what_was_put_in() -> None:
    rng = np.random.default_rng(5)
    ids = rng.integers(1, 2**63, 50_000, dtype=np.uint64).astype(np.uint64)
    flags = rng.integers(1, 16, 50_000).astype(np.uint8)
    ids[100:200] = ids[:100]  # an id in two lists gets both flags
    table = IdTable(ids, flags)
    expected: dict[int, int] = {}
    for key, flag in zip(ids.tolist(), flags.tolist()):
        expected[key] = expected.get(key, 0) | flag
    probe = np.concatenate([ids, rng.integers(1, 2**63, 10_000, dtype=np.uint64).astype(np.uint64)])
    assert table.lookup(probe).tolist() == [expected.get(k, 0) for k in probe.tolist()]
    assert IdTable(np.zeros(0, np.uint64), np.zeros(0, np.uint8)).lookup(probe[:5]).tolist() == [0] * 5


def test_language_sample_is_bounded_and_spread() -> None:
    paragraphs = [f"paragraph {i} " + "word " * 40 for i in range(100)]
    text = "\n\n".join(paragraphs)
    sample = lang_sample(text, 1000)
    assert len(sample) <= 1000 and sample.startswith("paragraph 0 ")
    picked = [int(n) for n in re.findall(r"paragraph (\d+) ", sample)]
    assert picked[:3] == [0, 1, 2] and len(picked) == 5  # the beginning, then evenly spaced ones
    assert 30 < picked[3] < 60 < picked[4]
    assert lang_sample(text, None) == text and lang_sample("short", 1000) == "short"
    assert identify(text, 1000)[0] == identify(text)[0] == "en"
    with pytest.raises(ValueError):
        FiltersConfig.model_validate({"document": {"lang": {"max_chars": 10}}})
    assert FiltersConfig.model_validate({"document": {"lang": {"max_chars": None}}}).document.lang.max_chars is None


def _docs(seed: int, n: int) -> list[Document]:
    rng = random.Random(seed)
    prose = ("The museum opened a new wing this spring, and the curators spent the winter moving "
             "paintings from the old galleries into the bright rooms that face the river.")
    docs = []
    for i in range(n):
        texts = random_texts(rng, rng.randint(0, 6)) + [prose] * rng.randint(0, 3)
        rng.shuffle(texts)
        nodes = [TextNode(t) for t in texts] + [ImageNode(f"https://example.org/{i}.jpg")]
        docs.append(Document(f"d{i}", f"https://example.org/{i}", nodes))
    return docs


@pytest.mark.parametrize("action", ["drop", "annotate"])
def test_a_document_is_judged_the_same_alone_or_in_a_batch(action: str) -> None:
    config = FiltersConfig.model_validate({"action": action})
    docs = _docs(9, 150)
    together = copy.deepcopy(docs)
    ctx_all = RunContext(config=LoomConfig())
    kept_all = {d.id for d in TextFilterStage(config)(together, ctx_all)}
    ctx_one = RunContext(config=LoomConfig())
    stage = TextFilterStage(config)
    kept_one = {d.id for doc in copy.deepcopy(docs) for d in stage([doc], ctx_one)}
    assert kept_all == kept_one and len(kept_all) > 0
    assert ctx_all.stats.to_dict() == ctx_one.stats.to_dict()
    alone = copy.deepcopy(docs)
    for doc in alone:
        list(stage([doc], RunContext(config=LoomConfig())))
    for a, b in zip(together, alone):
        assert a.scores == b.scores and a.metadata == b.metadata
        assert [n.scores for n in a.texts] == [n.scores for n in b.texts]


FRENCH = ("Le musée a ouvert une nouvelle aile ce printemps, et les conservateurs ont passé l'hiver "
          "à déplacer les tableaux des anciennes galeries vers les salles lumineuses.")
ENGLISH = ("The museum opened a new wing this spring, and the curators spent the winter moving "
           "paintings from the old galleries into the bright rooms that face the river.")
ENGLISH_2 = ("Visitors can now walk through the collection in the order the works were made, "
             "which makes it easier to see how the painters learned from one another.")


def test_paragraph_language_filter_drops_the_paragraph_in_another_language() -> None:
    # Word-list checks off, so that the language is what the French paragraph fails.
    off = {"enabled": False}
    config = FiltersConfig.model_validate({"paragraph": {"lang": {"enabled": True}, "stopwords": off,
                                                         "common_words": off}})
    doc = Document("d", "https://example.org/", [TextNode(ENGLISH), TextNode(FRENCH), TextNode(ENGLISH_2),
                                                 ImageNode("https://example.org/a.jpg")])
    ctx = RunContext(config=LoomConfig())
    out = list(TextFilterStage(config)([doc], ctx))
    assert [n.text for n in out[0].texts] == [ENGLISH, ENGLISH_2]
    assert ctx.stats.drops["paragraph.lang"] == 1 and out[0].texts[0].scores["lang_en"] > 0.8


def test_documents_in_several_languages_in_one_batch_use_their_own_lists() -> None:
    config = FiltersConfig.model_validate({"languages": ["en", "fr"], "action": "annotate"})
    docs = [Document(f"d{i}", f"https://example.org/{i}",
                     [TextNode(ENGLISH), TextNode(ENGLISH_2)] if i % 2 else [TextNode(FRENCH)]) for i in range(6)]
    together = copy.deepcopy(docs)
    list(TextFilterStage(config)(together, RunContext(config=LoomConfig())))
    for doc, batched in zip(docs, together):
        list(TextFilterStage(config)([doc], RunContext(config=LoomConfig())))
        assert doc.scores == batched.scores and doc.metadata.get("lang") == batched.metadata.get("lang")
    assert {d.metadata.get("lang") for d in together} == {"en", "fr"}
    # French stop words were counted for the French documents.
    assert all(d.scores["stopword_ratio"] > 0.2 for d in together)  # English lists: under 0.05
