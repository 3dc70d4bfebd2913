"""End to end: `validate_output` and `loom validate` on good and broken shards, training and generation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from builder.cli import main
from builder.validate.config import ValidateConfig
from builder.validate.run import validate_output
from builder.validate.synthetic import synthetic_document, write_synthetic_shards

pytest.importorskip("transformers")

FAST = {"samples": 6, "steps": 4, "generate_samples": 1, "max_new_tokens": 4}


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_shards(tmp_path_factory.mktemp("good") / "out", n_docs=8, max_samples=3)


def test_good_shards_pass_every_check(good: Path, tmp_path: Path) -> None:
    report = validate_output(good, ValidateConfig(report_dir=str(tmp_path / "r"), **FAST))
    assert report.ok, report.summary_lines()
    names = [c.name for c in report.checks]
    assert names == ["integrity.manifest", "integrity.samples", "integrity.images", "integrity.keys", "integrity.stats",
                     "processor.inputs", "processor.max_length", "generation", "training.loss_finite",
                     "training.loss_decreased", "training.gradients"]
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["ok"] is True and data["failed_checks"] == []
    norms = next(c for c in data["checks"] if c["name"] == "training.gradients")["details"]["first_step_norms"]
    assert set(norms) == {"vision_encoder", "connector", "language_model"} and all(v > 0 for v in norms.values())
    assert data["training"]["fixed_batch_loss"]["after"] < data["training"]["fixed_batch_loss"]["before"]
    assert data["generations"][0]["new_tokens"] >= 1
    html = (tmp_path / "r" / "report.html").read_text()
    assert "all checks passed" in html and "training.gradients" in html


def test_report_goes_to_out_validation_by_default(tmp_path: Path) -> None:
    out = write_synthetic_shards(tmp_path / "out", n_docs=3)
    report = validate_output(out, ValidateConfig(samples=3, steps=2, generate_samples=0))
    assert report.ok
    assert (out / "validation" / "report.json").is_file() and (out / "validation" / "report.html").is_file()


def test_cli_exit_codes_name_the_failing_checks(good: Path, tmp_path: Path, capsys: Any) -> None:
    assert main(["validate", str(good), "--steps", "2", "--generate", "0", "--samples", "4",
                 "--report-dir", str(tmp_path / "a")]) == 0
    assert "OK: all checks passed" in capsys.readouterr().out
    # One document longer than max_length, and a policy that refuses to shorten it.
    assert main(["validate", str(good), "--steps", "2", "--generate", "0", "--samples", "4",
                 "--max-length", "40", "--length-policy", "fail", "--report-dir", str(tmp_path / "b")]) == 1
    out = capsys.readouterr().out
    assert "FAILED: processor.max_length" in out and "> max_length 40" in out
    data = json.loads((tmp_path / "b" / "report.json").read_text())
    assert "processor.max_length" in data["failed_checks"]


def test_cli_fails_on_a_manifest_that_does_not_match(tmp_path: Path, capsys: Any) -> None:
    out = write_synthetic_shards(tmp_path / "out", n_docs=4)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["samples"] = 5
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert main(["validate", str(out), "--steps", "1", "--generate", "0"]) == 1
    assert "FAILED: integrity.manifest" in capsys.readouterr().out


def test_cli_rejects_a_missing_folder_and_bad_values(tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path / "nope")]) == 2
    assert main(["validate", str(tmp_path), "--samples", "0"]) == 2  # a ConfigError, exit 2


def test_no_image_means_training_cannot_prove_anything(tmp_path: Path) -> None:
    out = write_synthetic_shards(tmp_path / "out", n_docs=3, n_images=0)
    report = validate_output(out, ValidateConfig(samples=3, steps=2, generate_samples=0))
    assert set(report.failed_checks) == {"training.loss_finite", "training.loss_decreased", "training.gradients"}


def test_loss_that_does_not_fall_fails(good: Path, tmp_path: Path) -> None:
    config = ValidateConfig(learning_rate=1e-12, report_dir=str(tmp_path), **FAST)
    report = validate_output(good, config)
    assert report.failed_checks == ["training.loss_decreased"]


def test_gradients_missing_from_the_vision_encoder_fail(good: Path) -> None:
    from builder.validate.model import load_model
    from builder.validate.processor_check import check_processor
    from builder.validate.training_check import check_training

    config = ValidateConfig(**FAST)
    loaded = load_model(config)
    for param in loaded.model.model.vision_model.parameters():
        param.requires_grad_(False)  # images no longer shape the loss through the encoder
    docs = [synthetic_document(i, n_images=1) for i in range(4)]
    sequences = check_processor(docs, loaded.processor, config).sequences
    checks, _ = check_training(loaded, sequences, config)
    gradients = next(c for c in checks if c.name == "training.gradients")
    assert not gradients.ok and gradients.problems == ["vision_encoder: zero gradient"]


def test_a_checkpoint_folder_takes_the_same_path(good: Path, tmp_path: Path) -> None:
    """`--model DIR` (how a real Idefics2 checkpoint loads) with a saved tiny model."""
    from builder.validate.tiny import build_tiny_model, build_tiny_processor

    processor = build_tiny_processor()
    build_tiny_model(processor).save_pretrained(tmp_path / "ckpt")
    processor.save_pretrained(tmp_path / "ckpt")
    config = ValidateConfig(model=str(tmp_path / "ckpt"), image_splitting=True, report_dir=str(tmp_path / "r"),
                            **FAST)
    report = validate_output(good, config)
    assert report.ok, report.summary_lines()
    assert report.info["model"]["image_splitting"] is True
    assert report.info["model"]["parameters"] < 200_000


def test_an_unloadable_model_is_a_named_failure(good: Path, tmp_path: Path) -> None:
    report = validate_output(good, ValidateConfig(model=str(tmp_path / "missing"), report_dir=str(tmp_path)))
    assert "model.load" in report.failed_checks


def test_sgd_overfitting_one_batch(good: Path, tmp_path: Path) -> None:
    config = ValidateConfig(optimizer="sgd", learning_rate=0.5, train_batches=1, report_dir=str(tmp_path), **FAST)
    report = validate_output(good, config)
    assert report.ok, report.summary_lines()
    assert report.info["training"]["batches"] == 1
