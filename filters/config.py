"""Settings of the quality filters. Every default is OBELICS's published value.

The text filters exist twice, once per paragraph and once per document, with different
thresholds. A YAML file only needs the keys it changes: `paragraph: {words: {max: 500}}`
keeps the paragraph minimum of 4 words, because each level merges what it is given onto
its own defaults (not onto one shared default).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from builder.config_base import Section


class WordCountFilter(Section):
    enabled: bool = True
    min: int = 0
    max: int = 1_000_000


class MaxRatioFilter(Section):
    """Keep when the score is <= `max`."""

    enabled: bool = True
    max: float = 1.0


class MinRatioFilter(Section):
    """Keep when the score is >= `min`."""

    enabled: bool = True
    min: float = 0.0


class NgramRepetitionFilter(Section):
    """Keep when the share of repeated `n`-grams is <= `max`."""

    enabled: bool = True
    n: int = Field(5, ge=1)
    max: float = 1.0


class PunctuationFilter(Section):
    """Keep when the punctuation share of tokens is >= `min`; texts under `min_words` tokens pass."""

    enabled: bool = True
    min: float = 0.0
    min_words: int = -1


class SpamFilter(Section):
    """Keep when the share of words inside spam phrases is < `less_than`."""

    enabled: bool = True
    less_than: float = 1.0


class LangFilter(Section):
    """Keep when the predicted language is wanted (`FiltersConfig.languages`) with score >= `min_score`."""

    enabled: bool = True
    min_score: float = 0.8


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class _LevelDefaults(Section):
    """A section whose partial YAML is merged onto `DEFAULTS` before validation."""

    DEFAULTS: ClassVar[dict[str, Any]] = {}

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return _deep_merge(cls.DEFAULTS, data)
        return data


class TextFilters(_LevelDefaults):
    """The text quality filters of one level, in the order they run."""

    words: WordCountFilter = Field(default_factory=WordCountFilter)
    char_repetition: NgramRepetitionFilter = Field(default_factory=NgramRepetitionFilter)
    word_repetition: NgramRepetitionFilter = Field(default_factory=NgramRepetitionFilter)
    special_chars: MaxRatioFilter = Field(default_factory=MaxRatioFilter)
    stopwords: MinRatioFilter = Field(default_factory=MinRatioFilter)
    flagged_words: MaxRatioFilter = Field(default_factory=MaxRatioFilter)
    punctuation: PunctuationFilter = Field(default_factory=PunctuationFilter)
    common_words: MinRatioFilter = Field(default_factory=MinRatioFilter)
    spam: SpamFilter = Field(default_factory=SpamFilter)
    lang: LangFilter = Field(default_factory=LangFilter)


class ParagraphFilters(TextFilters):
    """OBELICS node-level values (lang id off at paragraph level, as in OBELICS)."""

    DEFAULTS: ClassVar[dict[str, Any]] = {
        "words": {"min": 4, "max": 1000},
        "char_repetition": {"n": 10, "max": 0.1},
        "word_repetition": {"n": 5, "max": 0.1},
        "special_chars": {"max": 0.3},
        "stopwords": {"min": 0.3},
        "flagged_words": {"max": 0.01},
        "punctuation": {"min": 0.001, "min_words": 12},
        "common_words": {"min": 0.8},
        "spam": {"less_than": 0.12},
        "lang": {"enabled": False, "min_score": 0.8},
    }


class DocumentFilters(TextFilters):
    """OBELICS document-level values."""

    DEFAULTS: ClassVar[dict[str, Any]] = {
        "words": {"min": 10, "max": 2000},
        "char_repetition": {"n": 10, "max": 0.1},
        "word_repetition": {"n": 5, "max": 0.2},
        "special_chars": {"max": 0.275},
        "stopwords": {"min": 0.35},
        "flagged_words": {"max": 0.01},
        "punctuation": {"min": 0.03, "min_words": -1},
        "common_words": {"min": 0.9},
        "spam": {"enabled": False, "less_than": 0.12},
        "lang": {"enabled": True, "min_score": 0.8},
    }


class RepetitionFilters(Section):
    """Gopher-style (Rae et al. 2021) repetition checks on the document; off by default.

    Fractions of duplicated lines / paragraphs (by count and by characters), and the share of
    characters taken by the most frequent word 2-, 3- and 4-gram.
    """

    enabled: bool = False
    dup_line_frac: float = 0.30
    dup_line_char_frac: float = 0.20
    dup_para_frac: float = 0.30
    dup_para_char_frac: float = 0.20
    top_ngram_char_frac: dict[int, float] = Field(default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16})


DEFAULT_BANNED_URL_WORDS = ["logo", "button", "icon", "plugin", "widget"]


class BannedUrlWords(Section):
    """Drop images whose URL holds one of `words` as a whole token ("lexicon" does not hold "icon")."""

    enabled: bool = True
    words: list[str] = Field(default_factory=lambda: list(DEFAULT_BANNED_URL_WORDS))
    plurals: bool = True  # "icons" matches "icon"


class NsfwFilter(Section):
    """NudeNet's bundled detector (extra `loom[nsfw]`): an image scoring >= `threshold` is NSFW."""

    enabled: bool = False
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    action: Literal["drop_image", "drop_document"] = "drop_document"
    cache_dir: str | None = None  # where onnxruntime may write; a temp dir when unset


class ImageFilters(Section):
    """OBELICS image values: format, sides in pixels, aspect ratio (max of w/h and h/w)."""

    formats: list[str] = Field(default_factory=lambda: ["jpg", "jpeg", "png", "webp"])
    min_side: int = Field(150, ge=1)
    max_side: int = Field(20_000, ge=1)
    max_aspect_ratio: float = Field(2.0, ge=1.0)
    banned_url_words: BannedUrlWords = Field(default_factory=BannedUrlWords)
    nsfw: NsfwFilter = Field(default_factory=NsfwFilter)


class DocumentRules(Section):
    """What a document must still hold after the paragraph and image filters."""

    min_images: int = Field(1, ge=0)
    max_images: int = Field(30, ge=0)
    require_text: bool = True


class WordLists(Section):
    """Where word lists come from (see docs/filters.md)."""

    common_words_top_n: int = Field(100_000, ge=1)  # wordfreq's n most frequent words per language


class FiltersConfig(Section):
    enabled: bool = True
    # "drop": remove what fails. "annotate": only score (nothing removed; failures listed in
    # doc.metadata["filter_failures"]), so `loom rethreshold` can decide later.
    action: Literal["drop", "annotate"] = "drop"
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    paragraph: ParagraphFilters = Field(default_factory=lambda: ParagraphFilters.model_validate({}))
    document: DocumentFilters = Field(default_factory=lambda: DocumentFilters.model_validate({}))
    repetition: RepetitionFilters = Field(default_factory=RepetitionFilters)
    images: ImageFilters = Field(default_factory=ImageFilters)
    rules: DocumentRules = Field(default_factory=DocumentRules)
    word_lists: WordLists = Field(default_factory=WordLists)
