"""The KenLM perplexity check, on a small model the tests write themselves (tests/support/small_arpa.py)."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from builder.config import LoomConfig, load_config
from builder.context import RunContext
from builder.document import Document, ImageNode, TextNode
from builder.errors import ConfigError
from filters.checks import TEXT_CHECKS
from filters.checks.perplexity import normalize
from filters.config import FiltersConfig
from filters.rethreshold import rethreshold
from filters.text_stage import TextFilterStage
from tests.support.presets import obelics_preset, obelics_preset_document
from tests.support.small_arpa import fluent_sentences, small_model

kenlm = pytest.importorskip("kenlm", reason="the kenlm package is not installed (pip install 'loom[perplexity]')")

BOILERPLATE = ["Home | Login | Cart | Share on Facebook | Tweet | © 2024 All rights reserved",
               "Cookie settings Accept all Reject all Privacy policy Terms of use Sitemap"]


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return small_model(tmp_path_factory.mktemp("lm"))


def only_perplexity(model: Path, max_value: float = 1500.0, action: str = "drop") -> FiltersConfig:
    """Every other text check off: the decisions are the perplexity check's alone."""
    off = {check.name: {"enabled": False} for check in TEXT_CHECKS}
    return FiltersConfig.model_validate({
        "action": action, "paragraph": {**off, "lang": {"enabled": False}},
        "document": {**off, "lang": {"enabled": False},
                     "perplexity": {"enabled": True, "max": max_value, "model": str(model)}}})


def documents() -> list[Document]:
    rng = random.Random(5)
    docs = []
    for i, sentence_group in enumerate([fluent_sentences(4, seed=100 + i) for i in range(8)]):
        words = " ".join(sentence_group).split()
        shuffled = words[:]
        rng.shuffle(shuffled)
        docs.append(Document(f"f{i}", f"https://example.org/f{i}", [TextNode(s) for s in sentence_group]))
        docs.append(Document(f"s{i}", f"https://example.org/s{i}", [TextNode(" ".join(shuffled))]))
    docs += [Document(f"b{i}", f"https://example.org/b{i}", [TextNode(t)]) for i, t in enumerate(BOILERPLATE)]
    # Mixed: fluent text with some noise, near any threshold.
    docs += [Document(f"m{i}", f"https://example.org/m{i}", [TextNode(fluent_sentences(3, seed=200 + i)[0]),
                                                              TextNode(BOILERPLATE[i % 2][: 20 + 9 * i])])
             for i in range(6)]
    for doc in docs:
        doc.nodes.append(ImageNode("https://example.org/a.jpg"))
    return docs


def scores(config: FiltersConfig, docs: list[Document]) -> dict[str, float]:
    annotate = config.model_copy(update={"action": "annotate"})
    out = list(TextFilterStage(annotate)(docs, RunContext(config=LoomConfig())))
    return {d.id: d.scores["perplexity"] for d in out}


def test_fluent_text_scores_low_shuffled_words_and_boilerplate_high(model: Path) -> None:
    s = scores(only_perplexity(model), documents())
    fluent = [v for k, v in s.items() if k.startswith("f")]
    shuffled = [v for k, v in s.items() if k.startswith("s")]
    boiler = [v for k, v in s.items() if k.startswith("b")]
    assert max(fluent) < 20 < 100 < min(shuffled)
    assert min(boiler) > 1000


def test_decisions_equal_a_direct_kenlm_reference(model: Path) -> None:
    lm = kenlm.Model(str(model))
    docs = documents()
    texts = {d.id: "\n\n".join(n.text for n in d.texts) for d in docs}
    reference = {k: round(lm.perplexity(normalize(t)), 1) for k, t in texts.items()}
    for max_value in (50.0, 300.0, 1500.0):
        ctx = RunContext(config=LoomConfig())
        kept = {d.id for d in TextFilterStage(only_perplexity(model, max_value))(documents(), ctx)}
        assert kept == {k for k, v in reference.items() if v <= max_value}, max_value
        assert ctx.stats.drops["doc.perplexity"] == len(docs) - len(kept) > 0
    assert scores(only_perplexity(model), documents()) == reference  # the stored score is the reference's


def test_the_stored_score_is_rethresholded_without_scoring_again(model: Path) -> None:
    docs = list(TextFilterStage(only_perplexity(model, action="annotate"))(documents(), RunContext(
        config=LoomConfig())))
    stored = {d.id: d.scores["perplexity"] for d in docs}
    for doc in docs:  # a different text, same stored score: the decision must come from the score
        for node in doc.texts:
            node.text = "Zzz qqq xxx www " * 3
    strict = only_perplexity(model, 100.0)
    ctx = RunContext(config=LoomConfig())
    kept = {d.id for d in rethreshold(docs, strict, ctx)}
    assert kept == {k for k, v in stored.items() if v <= 100.0}
    assert 0 < len(kept) < len(docs) and ctx.stats.drops["doc.perplexity"] == len(docs) - len(kept)


def test_paragraph_level_check(model: Path) -> None:
    config = only_perplexity(model, action="annotate").model_dump()
    config["paragraph"]["perplexity"] = {"enabled": True, "max": 100.0, "model": str(model)}
    config["action"] = "drop"
    config["document"]["perplexity"]["enabled"] = False
    doc = Document("p", "https://example.org/p", [TextNode(fluent_sentences(1, seed=7)[0]), TextNode(BOILERPLATE[0]),
                                                   ImageNode("https://example.org/a.jpg")])
    ctx = RunContext(config=LoomConfig())
    (out,) = TextFilterStage(FiltersConfig.model_validate(config))([doc], ctx)
    assert [n.text for n in out.texts] == [fluent_sentences(1, seed=7)[0]]
    assert ctx.stats.drops["paragraph.perplexity"] == 1 and out.texts[0].scores["perplexity"] < 100


def test_obelics_preset_defaults() -> None:
    raw = obelics_preset_document()["filters"]
    assert raw["document"]["perplexity"] == {"enabled": True, "max": 1500, "model": "models/en.arpa.bin",
                                             "tokenizer": "models/en.sp.model"}
    assert raw["paragraph"]["perplexity"]["enabled"] is False
    assert not FiltersConfig().document.perplexity.enabled and not FiltersConfig().paragraph.perplexity.enabled


def test_obelics_preset_runs_with_a_model_given_by_path(model: Path) -> None:
    config = obelics_preset(model).filters
    assert config.document.perplexity.enabled and config.document.perplexity.model == str(model)


def test_config_check_names_a_missing_model(tmp_path: Path, repo_dir: Path, capsys) -> None:
    from builder.cli import main

    preset = repo_dir / "configs" / "obelics.yaml"
    assert load_config(preset).filters.document.perplexity.model == str(repo_dir / "configs/models/en.arpa.bin")
    config = tmp_path / "c.yaml"  # the preset's perplexity, with inputs that exist
    config.write_text(yaml.safe_dump({
        "sources": [{"type": "warc", "paths": [str(repo_dir / "configs/demo/site.warc.gz")]}],
        "filters": {"document": {"perplexity": obelics_preset_document()["filters"]["document"]["perplexity"]}}}))
    assert main(["config", "check", str(config)]) == 2  # the model is not there
    assert f"perplexity.model: {tmp_path / 'models/en.arpa.bin'} does not exist" in capsys.readouterr().err
    assert main(["run", str(config), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()
    path = tmp_path / "no-model.yaml"
    path.write_text(yaml.safe_dump({"filters": {"document": {"perplexity": {"enabled": True}}}}))
    with pytest.raises(ConfigError, match="needs perplexity.model"):
        load_config(path)


def test_config_check_says_when_kenlm_cannot_be_imported(tmp_path: Path, model: Path) -> None:
    """Where kenlm is missing, `loom config check` fails with the reason (exit 2), not the run."""
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"filters": {"document": {"perplexity": {"enabled": True, "model": str(model)}}}}))
    code = ("import sys; sys.modules['kenlm'] = None\n"  # the import fails as on a machine without it
            "from builder.cli import main; sys.exit(main(['config', 'check', sys.argv[1]]))")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "kenlm package is not installed" in result.stderr and "loom[perplexity]" in result.stderr


def test_a_sentencepiece_tokenizer_is_applied_before_kenlm(tmp_path: Path) -> None:
    """OBELICS's models score SentencePiece pieces: with `tokenizer`, loom scores what a direct
    `kenlm.Model.perplexity` of the pieces gives."""
    spm = pytest.importorskip("sentencepiece")
    import io

    from tests.support.small_arpa import write_arpa

    sentences = [normalize(s) for s in fluent_sentences(400)]
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(sentences), model_writer=buffer, vocab_size=80,
                                   minloglevel=2)
    sp_path = tmp_path / "sp.model"
    sp_path.write_bytes(buffer.getvalue())
    sp = spm.SentencePieceProcessor()
    sp.load(str(sp_path))
    lm_path = write_arpa([sp.encode_as_pieces(s) for s in sentences], tmp_path / "pieces.arpa")
    lm = kenlm.Model(str(lm_path))
    config = only_perplexity(lm_path, 40.0).model_dump()
    config["document"]["perplexity"]["tokenizer"] = str(sp_path)
    filters = FiltersConfig.model_validate(config)
    docs = documents()
    reference = {d.id: round(lm.perplexity(" ".join(sp.encode_as_pieces(normalize(
        "\n\n".join(n.text for n in d.texts))))), 1) for d in docs}
    assert scores(filters, documents()) == reference
    kept = {d.id for d in TextFilterStage(filters)(documents(), RunContext(config=LoomConfig()))}
    assert kept == {k for k, v in reference.items() if v <= 40.0} and 0 < len(kept) < len(docs)
