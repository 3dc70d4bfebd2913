"""Settings of the quality filters. Every default is OBELICS's published value.

The text filters exist twice, once per paragraph and once per document, with different
thresholds; both are generated from the registered checks (`filters.checks`). A YAML file
only needs the keys it changes: `paragraph: {words: {max: 500}}` keeps the paragraph
minimum of 4 words, because each level's filters are their own classes with that level's
defaults.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, create_model, model_validator
from pydantic.fields import FieldInfo

from builder.config_base import Section
from filters.checks import TEXT_CHECKS, CheckSettings, TextCheck
from filters.checks.language import LangFilter


def _level_settings(check: TextCheck, level: str) -> type[CheckSettings]:
    """The check's settings class with `level`'s defaults, so a partial YAML keeps the others."""
    defaults = getattr(check, level)
    base = check.settings
    fields: dict[str, Any] = {
        key: (base.model_fields[key].annotation, FieldInfo.merge_field_infos(base.model_fields[key], default=value))
        for key, value in defaults.items()}
    name = level.capitalize() + "".join(part.capitalize() for part in check.name.split("_"))
    return _named(create_model(name, __base__=base, __module__=__name__, **fields))


def _text_filters(name: str, doc: str, level: str | None, lang: type[LangFilter],
                  base: type[Section] = Section) -> type[Section]:
    fields: dict[str, Any] = {}
    for check in TEXT_CHECKS:
        settings = _level_settings(check, level) if level else check.settings
        fields[check.name] = (settings, Field(default_factory=settings))
    fields["lang"] = (lang, Field(default_factory=lang))
    return _named(create_model(name, __base__=base, __module__=__name__, __doc__=doc, **fields))


def _named(model: type[Section]) -> Any:
    """A generated model, published under its name here (so pickling finds it in a worker)."""
    globals()[model.__name__] = model
    return model


class ParagraphLang(LangFilter):
    enabled: bool = False  # run this filter


# The text filters of one level, generated from the check registry (filters/checks/): a field
# per registered check, each level's with that level's defaults in its own class, so a partial
# YAML (`words: {max: 500}`) keeps the level's other values and the config reference shows them.
TextFilters = _text_filters("TextFilters", "The text quality filters of one level, in the order they run.",
                            None, LangFilter)
ParagraphFilters = _text_filters(
    "ParagraphFilters", "OBELICS node-level values (lang id off at paragraph level, as in OBELICS).",
    "paragraph", ParagraphLang, TextFilters)
DocumentFilters = _text_filters(
    "DocumentFilters", "OBELICS document-level values, judged on the text left after the paragraph filters.",
    "document", LangFilter, TextFilters)


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


UT1_CATEGORIES = ["adult", "malware", "phishing", "cryptojacking"]


class BlocklistFilter(Section):
    """Drop documents and images whose host is on a UT1-format domain blocklist (docs/filters.md)."""

    enabled: bool = False  # run this filter
    # UT1 folders: a list's root holding category folders, or one category folder (with its
    # `domains` and/or `urls` files); relative to the config file. Nothing is downloaded.
    paths: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=lambda: list(UT1_CATEGORIES))  # read under a root; []: all

    @model_validator(mode="after")
    def _needs_paths(self) -> BlocklistFilter:
        if self.enabled and not self.paths:
            raise ValueError("blocklist.enabled needs blocklist.paths (UT1 folders)")
        return self


class PiiFilter(Section):
    """Replace personal data in the text with placeholders (off by default; OBELICS did not scrub)."""

    enabled: bool = False  # run this stage
    email: bool = True  # e-mail addresses
    ip: bool = True  # public IPv4 and IPv6 addresses (private, reserved and version-like ones stay)
    phone: bool = False  # phone numbers (a heuristic: 9 to 15 digits in the usual groupings)
    email_placeholder: str = "<EMAIL>"  # what replaces an e-mail address
    ip_placeholder: str = "<IP>"  # what replaces an IP address
    phone_placeholder: str = "<PHONE>"  # what replaces a phone number


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
    blocklist: BlocklistFilter = Field(default_factory=BlocklistFilter)  # UT1 domain blocklists
    pii: PiiFilter = Field(default_factory=PiiFilter)  # e-mail / IP / phone placeholders
