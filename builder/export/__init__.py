"""Export loom shards to other formats (Parquet with OBELICS's columns)."""
