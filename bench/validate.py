"""Benchmark: samples/s through the Idefics2 processor and the tiny model (forward + backward), CPU.

loom: `Idefics2Collator` (length policy, batched processor call, masked labels) on batches
of --batch-size documents, then one forward + backward per batch.
baseline: the plain unbatched Hugging Face loop a user would write first: for each
document, build the prompt, decode its images, call the processor on that one sample,
forward + backward with labels = input_ids (pad/image tokens masked).
Both run in the same process on the same documents, alternately, best of --repeats; the
ratio is loom / baseline (higher is better). Ends with one JSON line.

    python bench/validate.py [--docs 64] [--batch-size 8] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-length", type=int, default=1024)
    args = parser.parse_args()

    import torch

    from builder.document import ImageNode
    from builder.train.collator import IGNORE_INDEX, Idefics2Collator
    from builder.train.render import decode_image, render_plain
    from builder.validate.synthetic import synthetic_document
    from builder.validate.tiny import build_tiny_model, build_tiny_processor

    torch.set_num_threads(1)  # the machine is shared: one thread for both, same conditions
    processor = build_tiny_processor()
    model = build_tiny_model(processor)
    model.train()
    docs = [synthetic_document(i, n_images=i % 3 + 1, words=20) for i in range(args.docs)]
    collator = Idefics2Collator(processor, max_length=args.max_length, policy="truncate")
    fake_id = processor.tokenizer.convert_tokens_to_ids("<fake_token_around_image>")

    def loom() -> None:
        for i in range(0, len(docs), args.batch_size):
            batch = collator(docs[i:i + args.batch_size])
            model(**batch).loss.backward()
            model.zero_grad(set_to_none=True)

    def baseline() -> None:
        for doc in docs:
            text = render_plain(doc.nodes) + processor.tokenizer.eos_token
            images = [decode_image(n) for n in doc.nodes if isinstance(n, ImageNode)]
            inputs = processor(text=[text], images=[images], return_tensors="pt")
            labels = inputs["input_ids"].clone()
            labels[(labels == processor.image_token_id) | (labels == fake_id)] = IGNORE_INDEX
            model(**inputs, labels=labels).loss.backward()
            model.zero_grad(set_to_none=True)

    loom()
    baseline()  # warm-up both
    best = {"loom": float("inf"), "baseline": float("inf")}
    for _ in range(args.repeats):
        for name, fn in (("loom", loom), ("baseline", baseline)):
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    rate = {name: args.docs / seconds for name, seconds in best.items()}
    print(f"documents: {args.docs} (1-3 images each), tiny Idefics2 ({sum(p.numel() for p in model.parameters())}"
          f" params), 1 CPU thread, best of {args.repeats}")
    print(f"loom     (collator, batch {args.batch_size}):  {rate['loom']:8.1f} samples/s")
    print(f"baseline (unbatched HF processor + model): {rate['baseline']:8.1f} samples/s")
    print(json.dumps({"bench": "validate", "unit": "samples/s", "loom": round(rate["loom"], 2),
                      "baseline": round(rate["baseline"], 2), "ratio": round(rate["loom"] / rate["baseline"], 3),
                      "docs": args.docs, "batch_size": args.batch_size,
                      "baseline_is": "unbatched HF Idefics2Processor + model forward/backward per document"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
