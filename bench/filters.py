"""Benchmark: documents/s on one core for the OBELICS text filter set, language id included.

Input: the dev pages of sets a and c in ../shared/eval/extraction/splits.tsv, extracted with
loom's extractor. loom: `TextFilterStage` with the OBELICS defaults (paragraph filters, then
document filters with fastText language id). Baseline: the same filters written the way
OBELICS's filtering code computes them (each check tokenises its text again, Counter-based
n-grams, every paragraph through every check until one fails), with the same word lists
and the same language model: an unoptimised reference run in the same process.

    python bench/filters.py [--shared ../shared] [--repeat 5]
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import math
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from builder.config import LoomConfig  # noqa: E402
from builder.context import RunContext  # noqa: E402
from builder.document import Document, TextNode  # noqa: E402
from builder.extract import ExtractRejected, extract_document  # noqa: E402
from filters.config import FiltersConfig, TextFilters  # noqa: E402
from filters.lang import identify  # noqa: E402
from filters.text_scoring import WordListSet  # noqa: E402
from filters.text_stage import TextFilterStage  # noqa: E402

_SPECIAL = re.compile(r"[\W\d_]")
_PUNCT = re.compile(r"[\w']+|[,;:?!.]")


# ---- baseline: OBELICS's definitions, computed as its code does ------------------------------
def _words(text: str) -> list[str]:
    out = []
    for token in text.lower().replace("\u2019", "'").split():
        token = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", token)
        if token:
            out.append(token)
    return out


def _char_rep(text: str, n: int) -> float:
    freq = sorted(Counter(text[i:i + n] for i in range(len(text) - n + 1)).values(), reverse=True)
    if not freq:
        return 0.0
    k = min(int(math.sqrt(len(freq))), len(freq) - len([f for f in freq if f == 1]))
    return sum(freq[:k]) / sum(freq)


def _word_rep(text: str, n: int) -> float:
    words = _words(text)
    grams = Counter(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
    if not grams:
        return 0.0
    return sum(f for f in grams.values() if f > 1) / sum(grams.values())


def _ratio_in(text: str, vocab: frozenset[str]) -> float:
    words = _words(text)
    return len([w for w in words if w in vocab]) / len(words) if words else 0.0


def _punct(text: str, min_words: int) -> float:
    tokens = _PUNCT.findall(text)
    if not tokens:
        return 0.0
    if min_words > 0 and len(tokens) < min_words:
        return 1.0
    return len([t for t in tokens if t in ",;:?!."]) / len(tokens)


def baseline_keep(text: str, f: TextFilters, lists: WordListSet, with_lang: bool) -> bool:
    if not f.words.min <= len(_words(text)) <= f.words.max:
        return False
    if _char_rep(text, f.char_repetition.n) > f.char_repetition.max:
        return False
    if _word_rep(text, f.word_repetition.n) > f.word_repetition.max:
        return False
    if text and len(_SPECIAL.findall(text)) / len(text) > f.special_chars.max:
        return False
    if _ratio_in(text, lists.stopwords) < f.stopwords.min:
        return False
    if _ratio_in(text, lists.flagged) > f.flagged_words.max:
        return False
    if _punct(text, f.punctuation.min_words) < f.punctuation.min:
        return False
    if _ratio_in(text, lists.common) < f.common_words.min:
        return False
    if with_lang:
        lang, score = identify(text)
        if lang != "en" or score < f.lang.min_score:
            return False
    return True


def baseline(docs: list[Document], config: FiltersConfig, lists: WordListSet) -> int:
    kept = 0
    for doc in docs:
        paragraphs = [n.text for n in doc.nodes if isinstance(n, TextNode)]
        left = [p for p in paragraphs if baseline_keep(p, config.paragraph, lists, False)]
        if baseline_keep("\n\n".join(left), config.document, lists, True):
            kept += 1
    return kept


# ---- harness ---------------------------------------------------------------------------------
def load_docs(shared: Path) -> list[Document]:
    docs = []
    with open(shared / "eval" / "extraction" / "splits.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["split"] != "dev" or row["set"] not in ("a", "c"):
                continue
            try:
                body = (shared / "corpus" / row["path"]).read_bytes()
                docs.append(extract_document(body, row["url"]))
            except ExtractRejected:
                continue
    return docs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    docs = load_docs(args.shared)
    n_paragraphs = sum(len(d.texts) for d in docs)
    n_chars = sum(len(d.text()) for d in docs)
    print(f"input: {len(docs)} extracted dev pages (sets a+c), {n_paragraphs} paragraphs, "
          f"{n_chars / max(len(docs), 1):.0f} characters a page")
    config = FiltersConfig()  # the OBELICS defaults
    stage = TextFilterStage(config)
    # The same filters without the fastText call, to show what language id costs.
    no_lang = TextFilterStage(FiltersConfig.model_validate({"document": {"lang": {"enabled": False}}}))
    lists = WordListSet.load("en", config.word_lists.common_words_top_n)
    # Warm-up: word lists and the fastText model load once per process, outside the timing.
    ctx = RunContext(config=LoomConfig())
    loom_kept = len(list(stage(copy.deepcopy(docs), ctx)))
    base_kept = baseline(docs, config, lists)

    list(no_lang(copy.deepcopy(docs), RunContext(config=LoomConfig())))
    loom_s = base_s = no_lang_s = 0.0
    for _ in range(args.repeat):  # interleaved, so all see the same machine load
        batch = copy.deepcopy(docs)
        t0 = time.process_time()
        list(stage(batch, RunContext(config=LoomConfig())))
        loom_s += time.process_time() - t0
        batch = copy.deepcopy(docs)
        t0 = time.process_time()
        list(no_lang(batch, RunContext(config=LoomConfig())))
        no_lang_s += time.process_time() - t0
        t0 = time.process_time()
        baseline(docs, config, lists)
        base_s += time.process_time() - t0
    total = len(docs) * args.repeat
    loom_rate, base_rate = total / loom_s, total / base_s
    print(f"documents kept: loom {loom_kept}, baseline {base_kept} of {len(docs)}")
    print(f"loom     {loom_rate:8.0f} documents/s (CPU time, one core)")
    print(f"baseline {base_rate:8.0f} documents/s (OBELICS-style reference, same process)")
    print(f"loom without language id {total / no_lang_s:8.0f} documents/s")
    print(json.dumps({"bench": "filters", "unit": "documents/s", "loom": round(loom_rate, 1),
                      "baseline": round(base_rate, 1), "ratio": round(loom_rate / base_rate, 2),
                      "docs": len(docs), "paragraphs": n_paragraphs, "repeat": args.repeat,
                      "loom_without_lang": round(total / no_lang_s, 1),
                      "loom_kept": loom_kept, "baseline_kept": base_kept,
                      "baseline_kind": "OBELICS-style unoptimised reference"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
