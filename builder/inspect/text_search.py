"""Full-text search over the documents' text: an SQLite FTS5 index, built once per viewer start.

Scanning every document's text for each query would take seconds on a large output, so the
viewer builds an inverted index once, in a background thread, while it already serves pages
(a search made before it is done covers the documents indexed so far, and says so). The
index is *contentless*: it stores the words' positions, not the text, so it stays a fraction
of the text's size; snippets are cut from the few documents shown on a page. It lives in a
temporary folder removed when the viewer stops; the output folder is never written to.

A query is words (all must occur; case and accents do not matter), ``"a quoted phrase"``,
and ``word*`` for a prefix, over the title, the text, and the paragraphs the filters removed
(so a sentence seen on the page can be traced to the filter that took it out). Results come
best match first (BM25) when there are at most 2,000; a query matching more lists them in
shard order (ranking every match of a common word would take seconds on a large output).
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from builder.errors import LoomError
from builder.inspect.corpus_index import KEPT, REJECTS, CorpusIndex, removal_records

MAX_RESULTS = 10_000  # matches kept per query: enough to page through, bounded for "the"
RANK_LIMIT = 2_000  # more matches than this are listed in shard order: ranking them all costs seconds
BATCH = 500  # documents per transaction while building
SNIPPET_CHARS = 90  # on each side of the first match
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_TABLES = {KEPT: "kept", REJECTS: "rejects"}


class TextQueryError(LoomError, ValueError):
    """A query FTS5 cannot run (shown to the user as a note, not an error page)."""


@dataclass(frozen=True)
class Term:
    text: str
    prefix: bool = False


def parse_query(text: str) -> list[Term]:
    """The words, phrases and prefixes of a user's query, in order."""
    terms = []
    for phrase, word in _TOKEN.findall(text):
        if phrase.strip():
            terms.append(Term(" ".join(phrase.split())))
        elif word:
            prefix = word.endswith("*")
            core = word.rstrip("*").replace('"', "")
            if core:
                terms.append(Term(core, prefix))
    return terms


def fts_expression(terms: Iterable[Term]) -> str:
    """An FTS5 MATCH expression: every term quoted (so no word is read as an operator), all required."""
    return " AND ".join(f'"{t.text}"' + ("*" if t.prefix else "") for t in terms)


def document_text(data: dict[str, Any]) -> str:
    """The text a sample keeps, paragraphs joined by newlines."""
    texts = data.get("texts") if isinstance(data.get("texts"), list) else []
    return "\n".join(t for t in texts if isinstance(t, str))


def removed_text(data: dict[str, Any]) -> str:
    """The paragraphs the filters removed from a sample (its ``removed`` records)."""
    return "\n".join(r["text"] for r in removal_records(data.get("removed")) if isinstance(r.get("text"), str))


def _columns(data: dict[str, Any]) -> tuple[str, str, str]:
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return str(metadata.get("title") or ""), document_text(data), removed_text(data)


class TextIndex:
    """The full-text index of an output folder's kept and rejected documents."""

    def __init__(self, index: CorpusIndex, folder: str | Path | None = None) -> None:
        self.index = index
        self.total = len(index.kept.samples) + len(index.rejects.samples)
        self.indexed = 0
        self.seconds = 0.0
        self.error = ""
        self.rank_limit = RANK_LIMIT
        self._tmp = tempfile.TemporaryDirectory(prefix="loom-inspect-") if folder is None else None
        self.path = Path(self._tmp.name if self._tmp else folder) / "text.sqlite"
        self._done = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers search while the builder writes
            for table in _TABLES.values():
                db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5("
                           "title, body, removed, content='', tokenize='unicode61 remove_diacritics 2')")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, check_same_thread=False)

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def start(self) -> TextIndex:
        """Build in a background thread (daemon: a stopped viewer does not wait for it)."""
        self._thread = threading.Thread(target=self.build, name="loom-inspect-text", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def build(self) -> None:
        import time

        started = time.perf_counter()
        try:
            with self._connect() as db:
                db.execute("PRAGMA synchronous=OFF")
                for subset, table in _TABLES.items():
                    rows: list[tuple[int, str, str, str]] = []
                    for entry, data in self.index.iter_json(subset):
                        rows.append((entry.pos, *_columns(data)))
                        if len(rows) >= BATCH:
                            self._insert(db, table, rows)
                            if self._stop.is_set():  # the viewer is stopping
                                return
                    self._insert(db, table, rows)
                for table in _TABLES.values():
                    db.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")  # merge segments: faster queries
                db.commit()
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except (OSError, sqlite3.Error) as exc:
            self.error = f"text index failed: {exc}"
        finally:
            self.seconds = time.perf_counter() - started
            self._done.set()

    def _insert(self, db: sqlite3.Connection, table: str, rows: list[tuple[int, str, str, str]]) -> None:
        if rows:
            db.executemany(f"INSERT INTO {table}(rowid, title, body, removed) VALUES (?, ?, ?, ?)", rows)
            db.commit()
            self.indexed += len(rows)
            rows.clear()

    def search(self, subset: str, query: str, limit: int = MAX_RESULTS) -> list[int]:
        """Positions (in the subset's sample list) of the documents matching `query`.

        Best match first when there are at most `rank_limit` matches; beyond that ranking would
        cost a BM25 score for every match (seconds for a common word in a million documents),
        so the first `limit` come in shard order instead (`ranked` says which).
        """
        table = _TABLES[subset]
        if not self.ranked(subset, query):
            return self._rows(f"SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT ?", query, limit)
        return self._rows(f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT ?", query, limit)

    def ranked(self, subset: str, query: str) -> bool:
        """Whether `search` orders this query's matches by relevance (few enough to rank)."""
        table = _TABLES[subset]
        return len(self._rows(f"SELECT rowid FROM {table} WHERE {table} MATCH ? LIMIT ?", query,
                              self.rank_limit + 1)) <= self.rank_limit

    def _rows(self, sql: str, query: str, limit: int) -> list[int]:
        expression = fts_expression(parse_query(query))
        if not expression:
            return []
        try:
            with self._connect() as db:
                return [r[0] for r in db.execute(sql, (expression, limit)).fetchall()]
        except sqlite3.OperationalError as exc:
            raise TextQueryError(f"text search: cannot run {query!r} ({exc})") from exc

    def close(self) -> None:
        """Stop building (after the current batch) and remove the index."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._tmp is not None:
            self._tmp.cleanup()


# -- snippets -------------------------------------------------------------------------------

def _fold_char(ch: str) -> str:
    """One character, lower case, without its accent; itself when that would not be one character."""
    base = unicodedata.normalize("NFD", ch)[0].lower()
    return base if len(base) == 1 else ch


def _fold(text: str) -> str:
    """Lower case without accents, one character for one (so positions match the original)."""
    if text.isascii():
        return text.lower()
    table = {ord(c): _fold_char(c) for c in set(text) if not c.isascii()}
    folded = text.translate(table).lower()
    return folded if len(folded) == len(text) else "".join(_fold_char(c) for c in text)


def _pattern(terms: list[Term]) -> re.Pattern[str] | None:
    parts = []
    for term in terms:
        words = [re.escape(_fold(w)) for w in term.text.split()]
        if words:
            parts.append(r"\W+".join(words) + (r"\w*" if term.prefix else r"\b"))
    return re.compile(r"\b(?:" + "|".join(parts) + ")") if parts else None


def snippet(text: str, query: str, width: int = SNIPPET_CHARS, max_chars: int = 200_000) -> list[tuple[str, bool]]:
    """A piece of `text` around the first match of `query`: (segment, is_match) pairs; [] when none."""
    pattern = _pattern(parse_query(query))
    if pattern is None or not text:
        return []
    text = text[:max_chars]
    folded = _fold(text)
    first = pattern.search(folded)
    if first is None:
        return []
    start = max(0, first.start() - width)
    end = min(len(text), first.end() + width)
    if start > 0:  # begin and end on word boundaries
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first.start() else start
    if end < len(text):
        space = text.rfind(" ", first.end(), end)
        end = space if space > 0 else end
    segments: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    pos = start
    for match in pattern.finditer(folded, start, end):
        if match.start() > pos:
            segments.append((text[pos:match.start()], False))
        segments.append((text[match.start():match.end()], True))
        pos = match.end()
    if pos < end:
        segments.append((text[pos:end], False))
    if end < len(text):
        segments.append(("…", False))
    return segments
