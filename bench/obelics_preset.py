"""What `configs/obelics.yaml` decides on the 566 dev pages, against loom's defaults and OBELICS's definitions.

Input: every dev page of ../shared/eval/extraction/splits.tsv, extracted with loom's extractor.
For loom's defaults and for the OBELICS preset (perplexity off: OBELICS's model is not here) it
prints the paragraphs and documents the text filters drop, by reason, and the agreement of
the preset with the plain reference of OBELICS's definitions given OBELICS's own lists
(tests/support/obelics_reference.py), paragraph by paragraph and document by document. Then
what the PII stage would replace on the same pages, by kind. Timing: documents/s of the preset.

    python bench/obelics_preset.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import copy
import csv
import gzip
import json
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
from filters.config import FiltersConfig  # noqa: E402
from filters.pii import PiiScrubber  # noqa: E402
from filters.text_stage import TextFilterStage  # noqa: E402
from tests.support.obelics_reference import first_failure, obelics_lists  # noqa: E402
from tests.support.presets import obelics_preset  # noqa: E402


def load_docs(shared: Path) -> list[Document]:
    docs = []
    with open(shared / "eval" / "extraction" / "splits.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["split"] != "dev":
                continue
            body = (shared / "corpus" / row["path"]).read_bytes()
            if row["path"].endswith(".gz"):  # set c is stored gzipped
                body = gzip.decompress(body)
            try:
                docs.append(extract_document(body, row["url"]))
            except ExtractRejected:
                continue
    return docs


def drops(config: FiltersConfig, docs: list[Document]) -> tuple[Counter[str], float]:
    ctx = RunContext(config=LoomConfig())
    batch = copy.deepcopy(docs)
    t0 = time.process_time()
    list(TextFilterStage(config)(batch, ctx))
    return Counter(ctx.stats.drops), time.process_time() - t0


def agreement(config: FiltersConfig, docs: list[Document]) -> tuple[int, int, int, int]:
    """(paragraphs, paragraphs decided alike, documents, documents decided alike) vs the reference."""
    lists = obelics_lists(config.word_lists.common_words_top_n)
    annotate = TextFilterStage(config.model_copy(update={"action": "annotate"}))
    stage = TextFilterStage(config)
    n_par = same_par = n_doc = same_doc = 0
    for doc in docs:
        texts = [n.text for n in doc.texts]
        ref = [first_failure(t, config.paragraph, lists, config.languages) for t in texts]
        left = [t for t, r in zip(texts, ref) if r is None]
        ref_doc_keeps = bool(left) and first_failure("\n\n".join(left), config.document, lists,
                                                      config.languages) is None
        scored = Document(doc.id, doc.url, [TextNode(t) for t in texts])
        next(annotate([scored], RunContext(config=LoomConfig())))
        ours = [not stage.paragraph.failures(n.scores) for n in scored.texts]
        n_par += len(texts)
        same_par += sum((r is None) == o for r, o in zip(ref, ours))
        kept = list(stage([Document(doc.id, doc.url, [TextNode(t) for t in texts])], RunContext(config=LoomConfig())))
        n_doc += 1
        same_doc += bool(kept) == ref_doc_keeps
    return n_par, same_par, n_doc, same_doc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args()
    docs = load_docs(args.shared)
    n_paragraphs = sum(len(d.texts) for d in docs)
    print(f"input: {len(docs)} extracted dev pages, {n_paragraphs} paragraphs")
    preset = obelics_preset().filters
    for config in (FiltersConfig(), preset):  # warm-up: word lists and fastText load outside the timing
        drops(config, docs[:20])
    results = {}
    for name, config in (("loom defaults", FiltersConfig()), ("obelics preset", preset)):
        counts, seconds = drops(config, docs)
        results[name] = counts
        par = {k: v for k, v in counts.items() if k.startswith("paragraph.")}
        doc = {k: v for k, v in counts.items() if k.startswith("doc.")}
        print(f"{name:15} paragraphs dropped {sum(par.values()):5d}  documents dropped {sum(doc.values()):4d}"
              f"  ({len(docs) / seconds:.0f} documents/s)")
        for reason, n in sorted(counts.items(), key=lambda kv: (kv[0].split(".")[0], -kv[1])):
            print(f"    {reason:36} {n:5d}")
    n_par, same_par, n_doc, same_doc = agreement(preset, docs)
    print(f"obelics preset vs OBELICS's definitions with OBELICS's lists: paragraphs {same_par}/{n_par} "
          f"({100 * same_par / n_par:.2f}%), documents {same_doc}/{n_doc} ({100 * same_doc / n_doc:.2f}%)")
    pii: Counter[str] = Counter()
    scrub = PiiScrubber(phone=True)
    for doc in docs:
        for node in doc.texts:
            pii.update(scrub.scrub(node.text)[1])
    print("PII placeholders on the same pages (email, ip; phone optional): "
          + ", ".join(f"pii.{k} {pii[k]}" for k in ("email", "ip", "phone")))
    print(json.dumps({"bench": "obelics_preset", "unit": "agreement %", "loom": round(100 * same_par / n_par, 2),
                      "baseline": 100.0, "ratio": round(same_par / n_par, 4), "docs": len(docs),
                      "paragraphs": n_paragraphs, "document_agreement": round(100 * same_doc / n_doc, 2),
                      "drops_loom_defaults": dict(results["loom defaults"]),
                      "drops_obelics_preset": dict(results["obelics preset"]), "pii": dict(pii)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
