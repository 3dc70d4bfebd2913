"""Settings of the quality filters. Every default is OBELICS's published value.

The text filters exist twice, once per paragraph and once per document, with different
thresholds. A YAML file only needs the keys it changes: `paragraph: {words: {max: 500}}`
keeps the paragraph minimum of 4 words, because each level's filters are their own classes
with that level's defaults.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from builder.config_base import Section

LANG_SAMPLE_CHARS = 1000  # default language-id sample (docs/filters.md: agreement on real pages)


class WordCountFilter(Section):
    """Keep when `min` <= words <= `max`."""

    enabled: bool = True  # run this filter
    min: int = 0  # fewest words kept
    max: int = 1_000_000  # most words kept


class MaxRatioFilter(Section):
    """Keep when the score is <= `max`."""

    enabled: bool = True  # run this filter
    max: float = 1.0  # highest score kept


class MinRatioFilter(Section):
    """Keep when the score is >= `min`."""

    enabled: bool = True  # run this filter
    min: float = 0.0  # lowest score kept


class NgramRepetitionFilter(Section):
    """Keep when the share of repeated `n`-grams is <= `max`."""

    enabled: bool = True  # run this filter
    n: int = Field(5, ge=1)  # n-gram length
    max: float = 1.0  # highest repeated share kept


class PunctuationFilter(Section):
    """Keep when the punctuation share of tokens is >= `min`; texts under `min_words` tokens pass."""

    enabled: bool = True  # run this filter
    min: float = 0.0  # lowest punctuation share kept
    min_words: int = -1  # texts with fewer tokens pass (-1: none)


class SpamFilter(Section):
    """Keep when the share of words inside spam phrases is < `less_than`."""

    enabled: bool = True  # run this filter
    less_than: float = 1.0  # kept while the spam-word share is below this


class LangFilter(Section):
    """Keep when the predicted language is wanted (`FiltersConfig.languages`) with score >= `min_score`."""

    enabled: bool = True  # run this filter
    min_score: float = 0.8  # lowest language probability kept
    max_chars: int | None = Field(LANG_SAMPLE_CHARS, ge=100)  # longer texts: a sample this long; null: all


class TextFilters(Section):
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


# Each level's filters carry that level's defaults in their own class, so a partial YAML
# (`words: {max: 500}`) keeps the level's other values and the config reference shows them.
class ParagraphWords(WordCountFilter):
    min: int = 4  # fewest words kept
    max: int = 1000  # most words kept


class ParagraphCharRepetition(NgramRepetitionFilter):
    n: int = Field(10, ge=1)  # n-gram length
    max: float = 0.1  # highest repeated share kept


class ParagraphWordRepetition(NgramRepetitionFilter):
    n: int = Field(5, ge=1)  # n-gram length
    max: float = 0.1  # highest repeated share kept


class ParagraphSpecialChars(MaxRatioFilter):
    max: float = 0.3  # highest score kept


class ParagraphStopwords(MinRatioFilter):
    min: float = 0.3  # lowest score kept


class FlaggedWords(MaxRatioFilter):
    max: float = 0.01  # highest score kept


class ParagraphPunctuation(PunctuationFilter):
    min: float = 0.001  # lowest punctuation share kept
    min_words: int = 12  # texts with fewer tokens pass (-1: none)


class ParagraphCommonWords(MinRatioFilter):
    min: float = 0.8  # lowest score kept


class ParagraphSpam(SpamFilter):
    less_than: float = 0.12  # kept while the spam-word share is below this


class ParagraphLang(LangFilter):
    enabled: bool = False  # run this filter


class ParagraphFilters(TextFilters):
    """OBELICS node-level values (lang id off at paragraph level, as in OBELICS)."""

    words: ParagraphWords = Field(default_factory=ParagraphWords)
    char_repetition: ParagraphCharRepetition = Field(default_factory=ParagraphCharRepetition)
    word_repetition: ParagraphWordRepetition = Field(default_factory=ParagraphWordRepetition)
    special_chars: ParagraphSpecialChars = Field(default_factory=ParagraphSpecialChars)
    stopwords: ParagraphStopwords = Field(default_factory=ParagraphStopwords)
    flagged_words: FlaggedWords = Field(default_factory=FlaggedWords)
    punctuation: ParagraphPunctuation = Field(default_factory=ParagraphPunctuation)
    common_words: ParagraphCommonWords = Field(default_factory=ParagraphCommonWords)
    spam: ParagraphSpam = Field(default_factory=ParagraphSpam)
    lang: ParagraphLang = Field(default_factory=ParagraphLang)


class DocumentWords(WordCountFilter):
    min: int = 10  # fewest words kept
    max: int = 2000  # most words kept


class DocumentWordRepetition(NgramRepetitionFilter):
    n: int = Field(5, ge=1)  # n-gram length
    max: float = 0.2  # highest repeated share kept


class DocumentSpecialChars(MaxRatioFilter):
    max: float = 0.275  # highest score kept


class DocumentStopwords(MinRatioFilter):
    min: float = 0.35  # lowest score kept


class DocumentPunctuation(PunctuationFilter):
    min: float = 0.03  # lowest punctuation share kept


class DocumentCommonWords(MinRatioFilter):
    min: float = 0.9  # lowest score kept


class DocumentSpam(SpamFilter):
    enabled: bool = False  # run this filter
    less_than: float = 0.12  # kept while the spam-word share is below this


class DocumentFilters(TextFilters):
    """OBELICS document-level values, judged on the text left after the paragraph filters."""

    words: DocumentWords = Field(default_factory=DocumentWords)
    char_repetition: ParagraphCharRepetition = Field(default_factory=ParagraphCharRepetition)
    word_repetition: DocumentWordRepetition = Field(default_factory=DocumentWordRepetition)
    special_chars: DocumentSpecialChars = Field(default_factory=DocumentSpecialChars)
    stopwords: DocumentStopwords = Field(default_factory=DocumentStopwords)
    flagged_words: FlaggedWords = Field(default_factory=FlaggedWords)
    punctuation: DocumentPunctuation = Field(default_factory=DocumentPunctuation)
    common_words: DocumentCommonWords = Field(default_factory=DocumentCommonWords)
    spam: DocumentSpam = Field(default_factory=DocumentSpam)
    lang: LangFilter = Field(default_factory=LangFilter)


class RepetitionFilters(Section):
    """Gopher-style (Rae et al. 2021) repetition checks on the document; off by default.

    Fractions of duplicated lines / paragraphs (by count and by characters), and the share of
    characters taken by the most frequent word 2-, 3- and 4-gram.
    """

    enabled: bool = False  # run these checks
    dup_line_frac: float = 0.30  # highest share of lines repeating an earlier line
    dup_line_char_frac: float = 0.20  # highest share of characters in repeated lines
    dup_para_frac: float = 0.30  # highest share of paragraphs repeating an earlier one
    dup_para_char_frac: float = 0.20  # highest share of characters in repeated paragraphs
    top_ngram_char_frac: dict[int, float] = Field(  # n -> highest character share of the top word n-gram
        default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16})


DEFAULT_BANNED_URL_WORDS = ["logo", "button", "icon", "plugin", "widget"]


class BannedUrlWords(Section):
    """Drop images whose URL holds one of `words` as a whole token ("lexicon" does not hold "icon")."""

    enabled: bool = True  # run this filter
    words: list[str] = Field(default_factory=lambda: list(DEFAULT_BANNED_URL_WORDS))  # banned URL tokens
    plurals: bool = True  # "icons" matches "icon"


class NsfwFilter(Section):
    """NudeNet's bundled detector (extra `loom[nsfw]`): an image scoring >= `threshold` is NSFW."""

    enabled: bool = False  # needs `pip install 'loom[nsfw]'`
    threshold: float = Field(0.5, ge=0.0, le=1.0)  # NSFW from this score on
    action: Literal["drop_image", "drop_document"] = "drop_document"  # what an NSFW image removes
    cache_dir: str | None = None  # where onnxruntime may write; a temp dir when unset


class ImageFilters(Section):
    """OBELICS image values: format, sides in pixels, aspect ratio (max of w/h and h/w)."""

    formats: list[str] = Field(default_factory=lambda: ["jpg", "jpeg", "png", "webp"])  # formats kept
    min_side: int = Field(150, ge=1)  # smallest width and height kept, in pixels
    max_side: int = Field(20_000, ge=1)  # largest width and height kept, in pixels
    max_aspect_ratio: float = Field(2.0, ge=1.0)  # largest max(w/h, h/w) kept
    banned_url_words: BannedUrlWords = Field(default_factory=BannedUrlWords)
    nsfw: NsfwFilter = Field(default_factory=NsfwFilter)


class DocumentRules(Section):
    """What a document must still hold after the paragraph and image filters."""

    min_images: int = Field(1, ge=0)  # fewest images a document keeps
    max_images: int = Field(30, ge=0)  # most images a document keeps
    require_text: bool = True  # drop a document without text


class WordLists(Section):
    """Which word lists the checks use (docs/filters.md): loom's lists, or OBELICS's own.

    OBELICS's stop-word (301) and flagged-word (67) lists are English; for another language
    loom's list is used. OBELICS's `spam` list is its final-step spam words (40 words),
    which it applied per paragraph after deduplication, not at the filtering step.
    """

    stopwords: Literal["loom", "obelics"] = "loom"  # loom: Snowball lists; obelics: OBELICS's 301 words
    flagged_words: Literal["loom", "obelics"] = "loom"  # loom: LDNOOBW lists; obelics: OBELICS's 67 words
    spam: Literal["loom", "obelics"] = "loom"  # loom: loom's spam phrases; obelics: OBELICS's final-step words
    straight_apostrophes: bool = True  # count "don’t" as "don't"; false measures the text as it is (OBELICS)
    common_words_top_n: int = Field(100_000, ge=1)  # wordfreq's n most frequent words per language


class FiltersConfig(Section):
    """Quality filters; the defaults are OBELICS's (docs/filters.md)."""

    enabled: bool = True  # run the filters at all
    # "drop": remove what fails. "annotate": only score (nothing removed; failures listed in
    # doc.metadata["filter_failures"]), so `loom rethreshold` can decide later.
    action: Literal["drop", "annotate"] = "drop"  # drop, or only score (annotate)
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)  # wanted languages (ISO 639-1)
    paragraph: ParagraphFilters = Field(default_factory=ParagraphFilters)  # text filters per paragraph
    document: DocumentFilters = Field(default_factory=DocumentFilters)  # text filters on the text left
    repetition: RepetitionFilters = Field(default_factory=RepetitionFilters)  # Gopher-style, optional
    images: ImageFilters = Field(default_factory=ImageFilters)  # URL words, format, size, NSFW
    rules: DocumentRules = Field(default_factory=DocumentRules)  # image counts and text left
    word_lists: WordLists = Field(default_factory=WordLists)  # word list settings
