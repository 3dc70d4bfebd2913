"""Feed loom shards to a fine-tuning toolkit: a torch dataset over shards and an Idefics2 collator."""
