"""Benchmark: documents/s on one core for the OBELICS text filter set, language id included.

Input: the dev pages of sets a and c in ../shared/eval/extraction/splits.tsv, extracted with
loom's extractor. loom: `TextFilterStage` with the OBELICS defaults (paragraph filters, then
document filters with fastText language id on a `max_chars` sample). Baseline: the same
filters written the way OBELICS's filtering code computes them (each check tokenises its
text again, Counter-based n-grams, every paragraph through every check until one fails,
language id on the whole text), with the same word lists and the same language model: an
unoptimised reference run in the same process. It also reports how often language id on
the sample decides differently from language id on the whole text, on the text each page
has left after the paragraph filters.

It also times loom with OBELICS's document-level perplexity check on (KenLM, `--kenlm-model`
ARPA or binary with `--sp-model`; by default the small bigram model the tests write, built
here in a temporary folder: a large Wikipedia model costs more per document).

    python bench/filters.py [--shared ../shared] [--repeat 5] [--kenlm-model M] [--sp-model SP]
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from builder.config import LoomConfig  # noqa: E402
from builder.context import RunContext  # noqa: E402
from builder.document import Document, TextNode  # noqa: E402
from builder.extract import ExtractRejected, extract_document  # noqa: E402
from filters.config import FiltersConfig  # noqa: E402
from filters.lang import identify  # noqa: E402
from filters.text_scoring import WordListSet  # noqa: E402
from filters.text_stage import TextFilterStage  # noqa: E402
from tests.support.obelics_reference import first_failure  # noqa: E402


def baseline(docs: list[Document], config: FiltersConfig, lists: WordListSet) -> int:
    kept = 0
    for doc in docs:
        paragraphs = [n.text for n in doc.nodes if isinstance(n, TextNode)]
        left = [p for p in paragraphs if first_failure(p, config.paragraph, lists, config.languages) is None]
        if first_failure("\n\n".join(left), config.document, lists, config.languages) is None:
            kept += 1
    return kept


def lang_agreement(docs: list[Document], config: FiltersConfig, lists: WordListSet) -> tuple[int, int]:
    """(texts, texts where the sampled and the whole-text language decisions differ)."""
    lang = config.document.lang
    texts = differ = 0
    for doc in docs:
        paragraphs = [n.text for n in doc.nodes if isinstance(n, TextNode)]
        text = "\n\n".join(p for p in paragraphs
                            if first_failure(p, config.paragraph, lists, config.languages) is None)
        if not text.strip():
            continue
        decisions = []
        for max_chars in (lang.max_chars, None):
            code, prob = identify(text, max_chars)
            decisions.append((code, lang.accepts(code, prob, config.languages)))
        texts += 1
        differ += decisions[0] != decisions[1]
    return texts, differ


def perplexity_stage(model: Path | None, sp_model: Path | None) -> tuple[TextFilterStage | None, str]:
    """loom's default filters plus OBELICS's document perplexity check; (None, why) without kenlm."""
    from filters.checks.perplexity import kenlm_problem

    problem = kenlm_problem()
    if problem:
        return None, problem
    name = str(model)
    if model is None:
        import tempfile

        from tests.support.small_arpa import small_model

        model = small_model(Path(tempfile.mkdtemp(prefix="loom-bench-lm-")))
        name = "the tests' bigram ARPA model (400 sentences)"
    ppl = {"enabled": True, "max": 1500, "model": str(model), "tokenizer": str(sp_model) if sp_model else None}
    return TextFilterStage(FiltersConfig.model_validate({"document": {"perplexity": ppl}})), name


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
    parser.add_argument("--kenlm-model", type=Path,
                        help="KenLM model for the perplexity run (default: a small test model)")
    parser.add_argument("--sp-model", type=Path, help="its SentencePiece model, if it was trained on pieces")
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
    with_ppl, model_name = perplexity_stage(args.kenlm_model, args.sp_model)
    if with_ppl is not None:
        list(with_ppl(copy.deepcopy(docs), RunContext(config=LoomConfig())))  # loads the model
    loom_s = base_s = no_lang_s = ppl_s = 0.0
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
        if with_ppl is not None:
            batch = copy.deepcopy(docs)
            t0 = time.process_time()
            list(with_ppl(batch, RunContext(config=LoomConfig())))
            ppl_s += time.process_time() - t0
    total = len(docs) * args.repeat
    loom_rate, base_rate = total / loom_s, total / base_s
    lang_texts, lang_differ = lang_agreement(docs, config, lists)
    print(f"documents kept: loom {loom_kept}, baseline {base_kept} of {len(docs)}")
    print(f"language id on a {config.document.lang.max_chars}-character sample vs the whole text: "
          f"{lang_differ} of {lang_texts} texts decided differently")
    print(f"loom     {loom_rate:8.0f} documents/s (CPU time, one core)")
    print(f"baseline {base_rate:8.0f} documents/s (OBELICS-style reference, same process)")
    print(f"loom without language id {total / no_lang_s:8.0f} documents/s")
    ppl_rate = round(total / ppl_s, 1) if with_ppl is not None else None
    if ppl_rate is not None:
        print(f"loom with perplexity {ppl_rate:8.0f} documents/s (document level, {model_name}); "
              f"without: {loom_rate:.0f}")
    else:
        print(f"loom with perplexity: not measured ({model_name})")
    print(json.dumps({"bench": "filters", "unit": "documents/s", "loom": round(loom_rate, 1),
                      "baseline": round(base_rate, 1), "ratio": round(loom_rate / base_rate, 2),
                      "docs": len(docs), "paragraphs": n_paragraphs, "repeat": args.repeat,
                      "loom_without_lang": round(total / no_lang_s, 1),
                      "loom_with_perplexity": ppl_rate, "perplexity_model": model_name,
                      "loom_kept": loom_kept, "baseline_kept": base_kept,
                      "lang_sample_chars": config.document.lang.max_chars, "lang_texts": lang_texts,
                      "lang_sample_decisions_differ": lang_differ,
                      "baseline_kind": "OBELICS-style unoptimised reference"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
