"""`validate_output`: every check on an output folder, one report, `.ok` and `.failed_checks`.

Order: integrity (all shards) → load the model → processor (sampled documents) →
generation (before training, so a real checkpoint's own outputs are reported) → training.
Torch and transformers are imported only here, inside the function, never by `loom run`
unless validation is enabled.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from builder.validate.config import ValidateConfig
from builder.validate.integrity import IntegrityChecker
from builder.validate.report import CheckResult, ValidationReport, skipped, unavailable

INSTALL_HINT = "pip install 'loom[validate]'"
MODEL_CHECKS = ("model.load", "processor.inputs", "processor.max_length", "generation", "training.loss_finite",
                "training.loss_decreased", "training.gradients")


def validate_output(out_dir: Path, config: ValidateConfig | None = None) -> ValidationReport:
    """Validate a `loom run` output folder; writes ``report.json``/``.html`` under ``OUT/validation``."""
    config = config or ValidateConfig()
    out_dir = Path(out_dir)
    report = ValidationReport(str(out_dir))
    timings: dict[str, float] = {}
    report.info = {"config": config.model_dump(mode="json"), "timings_s": timings}

    start = time.perf_counter()
    integrity = IntegrityChecker(out_dir, config.samples, config.seed).run()
    timings["integrity"] = round(time.perf_counter() - start, 3)
    for check in integrity.checks:
        report.add(check)
    report.info["corpus"] = {"samples": integrity.total_samples, "images": integrity.total_images,
                             "shards": len(integrity.shard_counts), "sampled": len(integrity.documents)}
    if config.integrity_only:
        report.info["model"] = None
    elif integrity.url_only_images and not integrity.total_images:
        why = (f"the shards have no image members (their {integrity.url_only_images} images are URL-only, "
               "written with images.enabled: false); the model checks need the pictures")
        for name in MODEL_CHECKS:
            report.add(unavailable(name, why))
    elif integrity.documents:
        _model_checks(report, integrity.documents, config, timings)
    else:
        why = ("the output holds no sample" if not integrity.total_samples
               else "no sample passed the integrity checks")
        for name in MODEL_CHECKS[1:]:
            report.add(skipped(name, why))

    folder = Path(config.report_dir) if config.report_dir else out_dir / "validation"
    report.write(folder)
    return report


def _model_checks(report: ValidationReport, docs: list[Any], config: ValidateConfig,
                  timings: dict[str, float]) -> None:
    start = time.perf_counter()
    try:
        from builder.validate.model import load_model

        loaded = load_model(config)
    except ImportError as exc:  # the environment, not the shards: skipped, with the fix
        why = f"torch/transformers are not installed ({exc}); install them with: {INSTALL_HINT}"
        for name in MODEL_CHECKS:
            report.add(unavailable(name, why))
        return
    except Exception as exc:  # a missing checkpoint, a bad device...: name it, do not crash
        report.add(CheckResult("model.load", False,
                               f"cannot load {config.model!r}: {type(exc).__name__}: {exc}"))
        return
    timings["load_model"] = round(time.perf_counter() - start, 3)
    report.info["model"] = {"name": loaded.name, "device": loaded.device, "dtype": loaded.dtype,
                            "parameters": loaded.parameters,
                            "image_seq_len": int(loaded.processor.image_seq_len),
                            "image_splitting": bool(loaded.processor.image_processor.do_image_splitting)}

    from builder.validate.generation_check import check_generation
    from builder.validate.processor_check import check_processor
    from builder.validate.training_check import check_training

    start = time.perf_counter()
    processed = check_processor(docs, loaded.processor, config)
    timings["processor"] = round(time.perf_counter() - start, 3)
    for check in processed.checks:
        report.add(check)
    report.info["length_policy"] = {"policy": config.length_policy, **processed.length_counts}

    if config.generate_samples:
        start = time.perf_counter()
        check, generations = check_generation(loaded, processed.sequences, config)
        timings["generation"] = round(time.perf_counter() - start, 3)
        report.add(check)
        report.info["generations"] = generations

    if config.steps:
        start = time.perf_counter()
        checks, info = check_training(loaded, processed.sequences, config)
        timings["training"] = round(time.perf_counter() - start, 3)
        for check in checks:
            report.add(check)
        report.info["training"] = info
