"""Fine-tune Idefics2 on loom shards with the Hugging Face Trainer.

    python examples/finetune_idefics2.py OUT/ --model tiny --max-steps 20 --output-dir ft/
    python examples/finetune_idefics2.py OUT/ --model HuggingFaceM4/idefics2-8b --device cuda \\
        --max-length 2048 --batch-size 1 --grad-accum 8 --chat --output-dir ft/

The data path is loom's: `LoomShardDataset` (WebDataset shards, split across ranks and
DataLoader workers, shuffled, resumable) and `Idefics2Collator` (length policy that never
cuts image tokens, labels with pad and image tokens masked). Multi-GPU: launch with
`torchrun`/`accelerate launch`; each rank reads its own shards (dispatch_batches=False).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run from a checkout without installing loom
    sys.path.insert(0, str(REPO))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("shards", type=Path, help="loom output folder (or a folder of .tar shards)")
    parser.add_argument("--model", default="tiny", help="tiny | checkpoint folder | hub id")
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--max-steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--grad-accum", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--length-policy", default="truncate", choices=["split", "truncate", "drop"])
    parser.add_argument("--chat", action="store_true", help="User/Assistant format, loss on the Assistant turn")
    parser.add_argument("--image-splitting", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--shuffle-buffer", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from builder.shards.reader import shard_paths

    # Before torch and the model load: an empty or wrong folder is one clear line, not a traceback.
    shards = [p for p in shard_paths(args.shards) if p.is_file()]
    if not shards:
        print(f"finetune_idefics2.py: no shards found in {args.shards} (give the output folder of `loom run`)",
              file=sys.stderr)
        return 2
    from transformers import Trainer, TrainingArguments

    from builder.train.collator import Idefics2Collator
    from builder.train.dataset import LoomShardDataset
    from builder.validate.config import ValidateConfig
    from builder.validate.model import load_model

    loaded = load_model(ValidateConfig(model=args.model, device="cpu", seed=args.seed,
                                       image_splitting=args.image_splitting,
                                       dtype="float32" if args.device == "cpu" else "bfloat16"))
    dataset = LoomShardDataset(args.shards, shuffle_buffer=args.shuffle_buffer, seed=args.seed)
    collator = Idefics2Collator(loaded.processor, max_length=args.max_length, policy=args.length_policy,
                                chat=args.chat)
    training_args = TrainingArguments(
        output_dir=str(args.output_dir),
        max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=args.grad_accum,
        learning_rate=args.lr,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        remove_unused_columns=False,  # the collator gets whole Documents
        dataloader_num_workers=args.num_workers,
        use_cpu=args.device == "cpu",
        bf16=args.device.startswith("cuda"),
        seed=args.seed,
        accelerator_config={"dispatch_batches": False},  # every rank reads its own shards
    )
    trainer = Trainer(model=loaded.model, args=training_args, train_dataset=dataset, data_collator=collator)
    result = trainer.train()
    trainer.save_model(str(args.output_dir))
    loaded.processor.save_pretrained(str(args.output_dir))
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    summary = {"steps": result.global_step, "first_loss": losses[0] if losses else None,
               "last_loss": losses[-1] if losses else None, "documents": dict(collator.counts)}
    (args.output_dir / "loom_finetune.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
