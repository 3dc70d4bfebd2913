"""The document browser's filters: parsed from a query string, applied to the index, paged."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, fields, replace
from typing import Iterable
from urllib.parse import urlencode

from builder.inspect.corpus_index import KEPT, REJECTS, CorpusIndex, SampleEntry
from builder.inspect.text_search import TextIndex

PAGE_SIZE = 20
UNKNOWN = "(unknown)"  # how the dashboard labels a missing language or domain; filters accept it
SORTS = {
    "": "shard order",
    "score_desc": "score, high first",
    "score_asc": "score, low first",
    "words_desc": "most words",
    "images_desc": "most images",
}


def _float(value: str, notes: list[str], name: str) -> float | None:
    if not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        notes.append(f"{name}: {value!r} is not a number, ignored")
        return None
    if math.isnan(number):
        notes.append(f"{name}: NaN ignored")
        return None
    return number


@dataclass(frozen=True)
class DocQuery:
    subset: str = KEPT
    q: str = ""  # substring of the URL, case-insensitive
    text: str = ""  # full-text query over title and text (builder.inspect.text_search)
    domain: str = ""
    lang: str = ""
    reason: str = ""  # drop reason (rejects)
    removed: str = ""  # a reason the document lost a paragraph or image to
    score: str = ""  # score name the min/max bounds and score sorts apply to
    min: float | None = None
    max: float | None = None
    sort: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: dict[str, list[str]], notes: list[str] | None = None) -> DocQuery:
        """Lenient parse: a bad value is ignored (with a note), never an error page."""
        notes = notes if notes is not None else []

        def get(name: str) -> str:
            values = params.get(name) or [""]
            return values[0].strip()

        subset = get("subset") or KEPT
        if subset not in (KEPT, REJECTS):
            notes.append(f"subset: {subset!r} unknown, showing kept documents")
            subset = KEPT
        sort = get("sort")
        if sort not in SORTS:
            notes.append(f"sort: {sort!r} unknown, ignored")
            sort = ""
        try:
            page = max(1, int(get("page") or 1))
        except ValueError:
            notes.append(f"page: {get('page')!r} is not a number")
            page = 1
        return cls(subset=subset, q=get("q"), text=get("text"), domain=get("domain"), lang=get("lang"),
                   reason=get("reason"), removed=get("removed"), score=get("score"),
                   min=_float(get("min"), notes, "min"), max=_float(get("max"), notes, "max"), sort=sort, page=page)

    @property
    def unfiltered(self) -> bool:
        """True when the query selects the whole subset in shard order."""
        return self == DocQuery(subset=self.subset, page=self.page)

    def params(self, **changes: object) -> str:
        """This query (with `changes`) as a query string, default values left out."""
        query = replace(self, **changes) if changes else self
        pairs = []
        for f in fields(query):
            value = getattr(query, f.name)
            if value != f.default and value is not None:
                pairs.append((f.name, f"{value:g}" if isinstance(value, float) else str(value)))
        return urlencode(pairs)

    def matches(self, entry: SampleEntry) -> bool:
        if self.q and self.q.lower() not in entry.url.lower():
            return False
        if self.domain and entry.domain != _known(self.domain):
            return False
        if self.lang and entry.lang != _known(self.lang):
            return False
        if self.reason and entry.drop_reason != self.reason:
            return False
        if self.removed and self.removed not in entry.removed_reasons:
            return False
        if self.score and (self.min is not None or self.max is not None):
            value = entry.score(self.score)
            if value is None:
                return False
            if self.min is not None and value < self.min:
                return False
            if self.max is not None and value > self.max:
                return False
        return True

    def select(self, index: CorpusIndex, text_index: TextIndex | None = None) -> list[SampleEntry]:
        """Every matching sample of the subset, in the requested order (best text match first by default).

        Raises `TextQueryError` for a text query the index cannot run.
        """
        samples = index.subset(self.subset).samples
        if self.unfiltered:
            return samples
        if self.text:
            if text_index is None:
                return []
            ranked = [samples[p] for p in text_index.search(self.subset, self.text) if p < len(samples)]
            found = [e for e in ranked if self.matches(e)]
        else:
            found = [e for e in samples if self.matches(e)]
        return _sorted(found, self.sort, self.score)


class SelectionCache:
    """The results of the last few queries, so paging through a large corpus does not rescan it.

    The index never changes once built, so a cached selection never goes stale.
    """

    def __init__(self, index: CorpusIndex, size: int = 16, text_index: TextIndex | None = None) -> None:
        self.index = index
        self.size = size
        self.text_index = text_index
        self._results: OrderedDict[DocQuery, list[SampleEntry]] = OrderedDict()
        self._lock = threading.Lock()  # the server answers requests on several threads

    def __call__(self, query: DocQuery) -> list[SampleEntry]:
        key = replace(query, page=1)
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        results = key.select(self.index, self.text_index)
        if key.text and (self.text_index is None or not self.text_index.ready):
            return results  # the text index is still growing: this answer is partial
        with self._lock:
            self._results[key] = results
            while len(self._results) > self.size:
                self._results.popitem(last=False)
        return results


def _known(value: str) -> str:
    return "" if value == UNKNOWN else value


def _sorted(entries: list[SampleEntry], sort: str, score: str) -> list[SampleEntry]:
    if sort in ("score_desc", "score_asc") and score:
        keyed = [(e.score(score), e) for e in entries]
        with_score = [e for v, e in sorted(((v, e) for v, e in keyed if v is not None), key=lambda ve: ve[0],
                                            reverse=sort == "score_desc")]
        without = [e for v, e in keyed if v is None]
        return with_score + without  # documents without that score last, in either direction
    if sort == "words_desc":
        return sorted(entries, key=lambda e: -e.words)
    if sort == "images_desc":
        return sorted(entries, key=lambda e: -e.n_images)
    return entries


@dataclass
class Page:
    entries: list[SampleEntry]
    number: int
    pages: int
    total: int
    first: int  # 1-based position of the first entry on this page


def paginate(entries: list[SampleEntry], page: int, size: int = PAGE_SIZE) -> Page:
    pages = max(1, math.ceil(len(entries) / size))
    number = min(page, pages)
    start = (number - 1) * size
    return Page(entries[start:start + size], number, pages, len(entries), start + 1)


def neighbours(entries: Iterable[SampleEntry],
               key: str) -> tuple[SampleEntry | None, SampleEntry | None, int]:
    """The samples before and after `key` in a result list, and its 0-based position (-1 if absent)."""
    previous: SampleEntry | None = None
    listed = list(entries)
    for i, entry in enumerate(listed):
        if entry.key == key:
            return previous, listed[i + 1] if i + 1 < len(listed) else None, i
        previous = entry
    return None, None, -1
