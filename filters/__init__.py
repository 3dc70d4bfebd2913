"""Quality filters (OBELICS's, by default) and deduplication (`filters.dedup`).

- `filters.stage.build_filter_stages(config)`: the stages before and after the image fetch.
- `filters.checks`: the text checks, one `TextCheck` descriptor each, and their registry
  (`TEXT_CHECKS`); the config, the scoring and the verdicts follow from it.
- `filters.text_stage`: paragraph then document text filters; `filters.text_scoring` binds
  one level's checks, `filters.text_measures` / `filters.batch_measures` compute the quantities.
- `filters.image_stage`, `filters.url_words`, `filters.nsfw`: image filters.
- `filters.document_rules`: image counts and text left.
- `filters.rethreshold`: new thresholds from stored scores (`loom rethreshold`).

See docs/filters.md.
"""
