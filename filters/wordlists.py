"""Word lists per language, each from a named, maintained source (never invented here).

- stop words: the `stopwords` package (Snowball lists, ISC licence); for a language it lacks,
  `stopwordsiso` (stopwords-iso collection, MIT) when installed.
- flagged words: LDNOOBW ("List of Dirty, Naughty, Obscene and Otherwise Bad Words",
  CC-BY-4.0), files in ``filters/data/flagged_words/<lang>.txt``, each naming its source.
- common words: `wordfreq`'s most frequent words of the language (`top_n`).
- spam phrases: ``filters/data/spam_phrases_<lang>.txt``, written for loom (its header says so).
- OBELICS's own English lists (stop words, flagged words, final-step spam words), as data
  from the OBELICS repository (Apache-2.0): ``filters/data/obelics/`` (see its NOTICE.txt).
  `word_lists.stopwords: obelics` and so on select them; "loom's lists" are the above.

A language without a list gets `None`, and the filter that needs it is skipped for it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def _read_list(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip().lower() for line in lines if line.strip() and not line.startswith("#")]


def _normalize(word: str) -> str:
    # Word tokens are lower-cased with typographic apostrophes made straight (see text_measures).
    return word.lower().replace("\u2019", "'")


OBELICS_DIR = DATA_DIR / "obelics"
OBELICS_LANGS = ("en",)  # OBELICS published English lists only


@cache
def obelics_list(name: str) -> frozenset[str]:
    """One of OBELICS's lists as published: ``stopwords``, ``flagged_words`` or ``spam_words``."""
    return frozenset(_read_list(OBELICS_DIR / f"{name}_en.txt"))


def stopwords_from(source: str, lang: str) -> frozenset[str] | None:
    """Stop words of `lang` from `source` ("loom" or "obelics"; OBELICS's are English only)."""
    if source == "obelics" and lang in OBELICS_LANGS:
        return obelics_list("stopwords")
    return stopwords_for(lang)


def flagged_words_from(source: str, lang: str) -> frozenset[str] | None:
    if source == "obelics" and lang in OBELICS_LANGS:
        return obelics_list("flagged_words")
    return flagged_words_for(lang)


def spam_phrases_from(source: str, lang: str) -> dict[str, tuple[tuple[str, ...], ...]] | None:
    """Spam phrases of `lang`; OBELICS's final-step list is single words (a phrase of one)."""
    if source == "obelics" and lang in OBELICS_LANGS:
        return {word: ((word,),) for word in sorted(obelics_list("spam_words"))}
    return spam_phrases_for(lang)


@cache
def stopwords_for(lang: str) -> frozenset[str] | None:
    """loom's stop words of `lang` (ISO 639-1), or None when no package has them."""
    try:
        import stopwords

        if lang in stopwords.LANGUAGE_MAPPING:
            words = stopwords.get_stopwords(lang)
            if words:
                return frozenset(_normalize(w) for w in words if w)
    except ImportError:
        pass
    try:
        import stopwordsiso

        if stopwordsiso.has_lang(lang):
            return frozenset(_normalize(w) for w in stopwordsiso.stopwords(lang))
    except ImportError:
        pass
    return None


@cache
def flagged_words_for(lang: str) -> frozenset[str] | None:
    path = DATA_DIR / "flagged_words" / f"{lang}.txt"
    if not path.exists():
        return None
    return frozenset(_normalize(w) for w in _read_list(path))


@cache
def common_words_for(lang: str, top_n: int) -> frozenset[str] | None:
    try:
        import wordfreq
    except ImportError:
        return None
    if lang not in wordfreq.available_languages(wordlist="best"):
        return None
    return frozenset(_normalize(w) for w in wordfreq.top_n_list(lang, top_n, wordlist="best"))


@cache
def spam_phrases_for(lang: str) -> dict[str, tuple[tuple[str, ...], ...]] | None:
    """Spam phrases indexed by their first word: ``{"sign": (("sign", "up"), ("sign", "in"))}``."""
    path = DATA_DIR / f"spam_phrases_{lang}.txt"
    if not path.exists():
        return None
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in _read_list(path):
        words = tuple(_normalize(phrase).split())
        index.setdefault(words[0], []).append(words)
    # Longest phrase first, so a match covers as many words as it can.
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in index.items()}


OBELICS_SOURCE = "OBELICS repository (huggingface/OBELICS, Apache-2.0), English"


def sources(stopwords: str = "loom", flagged_words: str = "loom", spam: str = "loom") -> dict[str, str]:
    """Where each list comes from, for the manifest and the docs."""
    return {
        "stopwords": (f"{OBELICS_SOURCE}: STOPWORDS" if stopwords == "obelics"
                      else "stopwords (Snowball lists), else stopwordsiso"),
        "flagged_words": (f"{OBELICS_SOURCE}: FLAGGED_WORDS" if flagged_words == "obelics"
                          else "LDNOOBW via npm naughty-words 1.2.0 (CC-BY-4.0)"),
        "common_words": "wordfreq top_n_list",
        "spam_phrases": (f"{OBELICS_SOURCE}: SPAM_WORDS (final step)" if spam == "obelics"
                         else "loom (filters/data/spam_phrases_<lang>.txt)"),
    }
