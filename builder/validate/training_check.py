"""Training check: K optimiser steps on real samples; finite loss that falls; gradients everywhere.

Gradients must be non-zero in the vision encoder, the connector (perceiver resampler +
projection) and the language model: the only way the vision encoder gets a gradient is for
the images to reach the loss.
"""

from __future__ import annotations

import math
from typing import Any

from builder.train.collator import Idefics2Collator
from builder.validate.config import ValidateConfig
from builder.validate.model import LoadedModel, module_groups, torch_dtype
from builder.validate.processor_check import ProcessedSequence
from builder.validate.report import CheckResult, skipped

CHECKS = ("training.loss_finite", "training.loss_decreased", "training.gradients")


def to_device(batch: Any, device: str, dtype: Any) -> dict[str, Any]:
    out = {}
    for name, value in batch.items():
        value = value.to(device)
        if value.is_floating_point():
            value = value.to(dtype)
        out[name] = value
    return out


def group_grad_norms(model: Any) -> dict[str, float]:
    norms = {}
    for name, module in module_groups(model).items():
        total = 0.0
        for param in module.parameters():
            if param.grad is not None:
                total += float(param.grad.detach().float().pow(2).sum())
        norms[name] = math.sqrt(total)
    return norms


def check_training(loaded: LoadedModel, sequences: list[ProcessedSequence],
                   config: ValidateConfig) -> tuple[list[CheckResult], dict[str, Any]]:
    import torch

    with_images = [s for s in sequences if s.n_images > 0]
    if not with_images:
        why = "no sampled sequence with an image fits max_length"
        return [skipped(name, why) for name in CHECKS], {}
    collator = Idefics2Collator(loaded.processor, config.max_length, config.length_policy, add_eos=True)
    dtype = torch_dtype(config)
    groups = [with_images[i:i + config.batch_size] for i in range(0, len(with_images), config.batch_size)]
    if config.train_batches:
        groups = groups[: config.train_batches]
    batches = [to_device(collator.collate([s.nodes for s in g]), config.device, dtype) for g in groups]
    fixed = batches[0]
    model = loaded.model
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        optimizer: Any = torch.optim.SGD(params, lr=config.learning_rate)
    else:
        optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.0)

    def fixed_loss() -> float:
        model.eval()
        with torch.no_grad():
            return float(model(**fixed).loss)

    torch.manual_seed(config.seed)
    before = fixed_loss()
    losses: list[float] = []
    norms_per_step: list[dict[str, float]] = []
    model.train()
    for step in range(config.steps):
        out = model(**batches[step % len(batches)])
        losses.append(float(out.loss.detach()))
        if not math.isfinite(losses[-1]):
            break
        out.loss.backward()
        norms_per_step.append(group_grad_norms(model))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    after = fixed_loss() if losses and math.isfinite(losses[-1]) else float("nan")
    model.eval()

    bad_steps = [i for i, loss in enumerate(losses) if not math.isfinite(loss)]
    finite = CheckResult("training.loss_finite", not bad_steps and math.isfinite(before),
                         (f"{len(losses)} step(s), loss {losses[0]:.4f} → {losses[-1]:.4f}" if losses
                          else "no step"),
                         [f"step {i}: loss {losses[i]}" for i in bad_steps], len(bad_steps),
                         {"losses": losses})
    decreased = CheckResult("training.loss_decreased", math.isfinite(after) and after < before,
                            f"loss on a fixed batch {before:.4f} → {after:.4f}",
                            [] if after < before else [f"fixed-batch loss did not fall: {before} → {after}"],
                            0 if after < before else 1, {"before": before, "after": after})
    zero = sorted({name for norms in norms_per_step[:1] for name, v in norms.items() if not v > 0})
    nonfinite = sorted({name for norms in norms_per_step for name, v in norms.items()
                        if not math.isfinite(v)})
    grad_problems = [f"{name}: zero gradient" for name in zero] + [f"{name}: non-finite gradient"
                                                                 for name in nonfinite]
    first = norms_per_step[0] if norms_per_step else {}
    gradients = CheckResult("training.gradients", bool(norms_per_step) and not grad_problems,
                            "non-zero gradients in " + ", ".join(f"{k} ({v:.3g})" for k, v in first.items()),
                            grad_problems, len(grad_problems), {"first_step_norms": first})
    info = {"batches": len(batches), "batch_size": config.batch_size, "losses": losses,
            "fixed_batch_loss": {"before": before, "after": after}}
    return [finite, decreased, gradients], info
