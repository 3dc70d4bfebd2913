"""Validation of loom output: integrity of the shards, then Idefics2 processor, generation and training."""
