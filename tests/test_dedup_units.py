"""The building blocks of dedup: shingles, MinHash, sorted-run grouping, union-find, pHash clusters, keys."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np

from builder.document import Document, ImageNode, TextNode
from filters.dedup.config import DedupConfig
from filters.dedup.grouping import (
    ROW_BYTES,
    SortedRun,
    iter_key_ranges,
    pairs_within_groups,
    range_count,
    resolve_exact,
)
from filters.dedup.keys import fetched_micros, normalize_url, paragraph_key, parse_phash, url_domain
from filters.dedup.minhash import band_keys, estimated_jaccard, signatures
from filters.dedup.perceptual import phash_representatives
from filters.dedup.shingles import shingle_hashes, word_hashes
from filters.dedup.union_find import cluster_roots


def test_words_ignore_case_punctuation_and_spacing():
    a, _ = word_hashes(["Hello, World!  Ça va?"])
    b, _ = word_hashes(["hello world\nça va"])
    assert a.tolist() == b.tolist() and a.size == 4


def test_shingles_per_text_and_short_texts():
    texts = ["one two three four five six seven", "", "just three words", "   ...  "]
    flat, offsets = shingle_hashes(texts, 5)
    assert offsets.tolist() == [0, 3, 3, 4, 4]
    assert np.unique(flat).size == 4
    # Word order matters inside a shingle.
    x, _ = shingle_hashes(["a b c d e"], 5)
    y, _ = shingle_hashes(["e d c b a"], 5)
    assert x[0] != y[0]


def test_shingles_do_not_cross_text_boundaries():
    both, offsets = shingle_hashes(["a b c d e f", "g h i j k l"], 5)
    alone = np.concatenate([shingle_hashes(["a b c d e f"], 5)[0], shingle_hashes(["g h i j k l"], 5)[0]])
    assert both.tolist() == alone.tolist() and offsets.tolist() == [0, 2, 4]


def _jaccard(a: str, b: str, n: int = 5) -> float:
    def grams(text: str) -> set:
        w = text.split()
        return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}

    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb)


def test_minhash_estimates_jaccard():
    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(50000)]
    base = rng.choices(vocab, k=600)
    texts, truths = [" ".join(base)], []
    for frac in (0.005, 0.02, 0.05, 0.1):
        edited = list(base)
        for pos in rng.sample(range(len(base)), int(frac * len(base))):
            edited[pos] = "zz" + str(pos)
        texts.append(" ".join(edited))
        truths.append(_jaccard(texts[0], texts[-1]))
    sig, has_words = signatures(texts, 5, 256, 7)
    assert has_words.all() and sig.dtype == np.uint32 and sig.shape == (5, 256)
    for k, truth in enumerate(truths, start=1):
        assert abs(estimated_jaccard(sig[0], sig[k]) - truth) < 0.08


def test_band_keys_equal_exactly_when_band_values_equal():
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 2**32, size=(3, 16), dtype=np.uint32)
    sig[1, :4] = sig[0, :4]  # band 0 equal
    sig[2, 4:8] = sig[0, :4]  # the same values but in band 1: must not collide with band 0
    keys = band_keys(sig, 4, 4)
    assert keys[0, 0] == keys[1, 0]
    assert len(set(keys[:, 1:].ravel().tolist()) | {keys[0, 0]}) == 10


def test_signatures_are_the_same_in_another_process(tmp_path):
    texts = ["the quick brown fox jumps over the lazy dog again and again", "ünïcode wörds, too — fine"]
    sig, _ = signatures(texts, 5, 64, 3)
    script = (
        "import numpy as np, sys; from filters.dedup.minhash import signatures; "
        f"s, _ = signatures({texts!r}, 5, 64, 3); np.save(sys.argv[1], s)"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    repo = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "s.npy")], check=True, cwd=repo, env=env)
    assert np.array_equal(np.load(tmp_path / "s.npy"), sig)


def _write_run(folder: Path, name: str, keys: np.ndarray, docs: np.ndarray, offset: int = 0) -> SortedRun:
    order = np.lexsort((docs, keys))
    np.save(folder / f"{name}.k.npy", keys[order])
    np.save(folder / f"{name}.d.npy", docs[order].astype(np.uint32))
    return SortedRun(folder / f"{name}.k.npy", folder / f"{name}.d.npy", offset)


def test_key_ranges_cover_every_row_once_in_any_memory_budget(tmp_path):
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 2**64, size=5000, dtype=np.uint64, endpoint=False)
    keys[:50] = keys[50:100]  # planted equal keys
    keys[-1] = np.uint64(2**64 - 1)
    docs = np.arange(5000)
    runs = [_write_run(tmp_path, "a", keys[:2000], docs[:2000]),
            _write_run(tmp_path, "b", keys[2000:], docs[2000:] - 2000, offset=2000)]
    whole = list(iter_key_ranges(runs, 1 << 30))
    small = list(iter_key_ranges(runs, 5000 * ROW_BYTES // 4))  # four ranges
    assert len(whole) == 1 and len(small) == range_count(5000, 5000 * ROW_BYTES // 4) == 4
    got = np.concatenate([k for k, _ in small]), np.concatenate([d for _, d in small])
    assert np.array_equal(got[0], whole[0][0]) and np.array_equal(got[1], whole[0][1])
    assert sorted(got[1].tolist()) == list(range(5000))
    assert np.all(np.diff(got[0].astype(object)) >= 0)


def test_pairs_within_groups_small_and_large():
    keys = np.array([1, 1, 1, 2, 3, 3, 3, 3, 3], dtype=np.uint64)
    members = np.arange(9)
    a, b = pairs_within_groups(keys, members, max_pairwise=3)
    pairs = set(zip(a.tolist(), b.tolist()))
    assert {(0, 1), (0, 2), (1, 2)} <= pairs
    assert {(4, 5), (4, 6), (4, 7), (4, 8)} <= pairs  # group of 5 > 3: a star
    assert len(pairs) == 7


def test_resolve_exact_keeps_best_ranked():
    keys = np.array([7, 7, 7, 9, 9, 4], dtype=np.uint64)
    docs = np.array([0, 1, 2, 3, 4, 5])
    rank = np.array([5, 1, 3, 0, 2, 4])
    asked = []

    def rank_of(d):
        asked.extend(d.tolist())
        return rank[d]

    dropped, kept = resolve_exact(keys, docs, rank_of)
    assert sorted(asked) == [0, 1, 2, 3, 4]  # doc 5's key is not shared: never ranked
    assert dict(zip(dropped.tolist(), kept.tolist())) == {0: 1, 2: 1, 4: 3}


def test_union_find_roots_are_best_ranked_whatever_the_edge_order():
    rng = random.Random(2)
    edges = [(0, 1), (1, 2), (2, 3), (10, 11), (20, 21), (21, 22), (22, 20), (3, 30)]
    rank = np.array(list(range(40))[::-1])  # higher id = better
    expected = {0: 30, 1: 30, 2: 30, 3: 30, 30: 30, 10: 11, 11: 11, 20: 22, 21: 22, 22: 22}
    for _ in range(5):
        rng.shuffle(edges)
        flipped = [(b, a) if rng.random() < 0.5 else (a, b) for a, b in edges]
        a, b = (np.array(x) for x in zip(*flipped))
        nodes, roots = cluster_roots(a, b, lambda d: rank[d])
        assert dict(zip(nodes.tolist(), roots.tolist())) == expected


def test_union_find_long_chain():
    n = 5000
    order = np.random.default_rng(3).permutation(n)
    a, b = order[:-1], order[1:]
    nodes, roots = cluster_roots(a, b, lambda d: d)
    assert nodes.size == n and set(roots.tolist()) == {0}


def test_phash_clusters_within_distance():
    base = 0x0123_4567_89AB_CDEF
    far = base ^ 0xFFFF_0000_0000_0000
    hashes = np.array([base, base ^ 1, base ^ 0b110, far, far ^ (1 << 40), base ^ 0b1111], dtype=np.uint64)
    reps = phash_representatives(hashes, 2)
    # base^0b1111 is 4 bits from base but 2 from base^0b110: linked through it; named by the smallest hash.
    assert reps[0] == reps[1] == reps[2] == reps[5] == min(base, base ^ 1, base ^ 0b110, base ^ 0b1111)
    assert reps[3] == reps[4] != reps[0]
    assert phash_representatives(hashes, 0).tolist() == hashes.tolist()


def test_phash_clusters_match_brute_force():
    rng = np.random.default_rng(4)
    centers = rng.integers(0, 2**64, size=30, dtype=np.uint64, endpoint=False)
    hashes = []
    for c in centers:
        for _ in range(4):
            flips = rng.choice(64, size=rng.integers(0, 2), replace=False)
            hashes.append(int(c) ^ sum(1 << int(f) for f in flips))
    arr = np.array(hashes, dtype=np.uint64)
    reps = phash_representatives(arr, 3)
    # Brute force connected components over distance <= 3.
    n = len(hashes)
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for i, j in itertools.combinations(range(n), 2):
        if bin(hashes[i] ^ hashes[j]).count("1") <= 3:
            parent[find(i)] = find(j)
    for i, j in itertools.combinations(range(n), 2):
        assert (find(i) == find(j)) == (reps[i] == reps[j])


def test_keys():
    assert normalize_url("HTTPS://Example.ORG:443/a?b=1#frag") == "https://example.org/a?b=1"
    assert normalize_url("http://example.org") == "http://example.org/"
    assert normalize_url("http://example.org:8080/x") == "http://example.org:8080/x"
    assert normalize_url("http://[bad") == "http://[bad"
    assert url_domain("https://www.News.org/x") == "news.org"
    assert paragraph_key("a.org", "Hello  World") == paragraph_key("a.org", " hello world ")
    assert paragraph_key("a.org", "Hello") != paragraph_key("b.org", "Hello")
    assert parse_phash("ffffffffffffffff") == 2**64 - 1
    assert parse_phash("xyz") is None and parse_phash(None) is None and parse_phash("abc") is None
    assert fetched_micros("2024-01-01T00:00:01Z") - fetched_micros("2024-01-01T00:00:00+00:00") == 1_000_000
    assert fetched_micros("2024-01-01T01:00:00+01:00") == fetched_micros("2024-01-01T00:00:00Z")
    assert fetched_micros("garbage") < fetched_micros("1970-01-01T00:00:00Z")
    assert fetched_micros(None) == fetched_micros("")


def test_document_without_words_takes_no_part(tmp_path):
    from filters.dedup import DedupPasses

    docs = [Document(id=f"e{i}", url=f"https://x.org/{i}", nodes=[TextNode("!!! ..."), ImageNode(f"{i}.jpg")])
            for i in range(3)]
    passes = DedupPasses(DedupConfig(enabled=True), tmp_path)
    passes.map_partition("p", docs)
    passes.reduce()
    assert passes.summary()["doc_drops"]["near_duplicate"] == 0


def test_phash_identity_on_real_images(shared_dir):
    """Real pictures, halved and re-encoded as JPEG: most join their original, distinct ones stay apart."""
    import csv
    import io

    import imagehash
    from PIL import Image

    root = shared_dir / "corpus/images/pillow"
    originals, copies = [], []
    with open(root / "MANIFEST.tsv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["pillow13_open_load"] == "ok"]
    for row in rows:
        try:
            with Image.open(root / row["path"]) as im:
                if min(im.size) < 64 or im.size[0] * im.size[1] > 4_000_000:
                    continue
                im = im.convert("RGB")
        except Exception:  # noqa: BLE001 - some "ok" files still fail on convert; not what is tested
            continue
        h = int(str(imagehash.phash(im)), 16)
        if any(bin(h ^ o).count("1") <= 10 for o in originals):
            continue  # the same picture in another format: keep one, so originals are distinct
        buf = io.BytesIO()
        im.resize((max(32, im.size[0] // 2), max(32, im.size[1] // 2))).save(buf, "JPEG", quality=75)
        buf.seek(0)
        originals.append(h)
        copies.append(int(str(imagehash.phash(Image.open(buf))), 16))
        if len(originals) == 60:
            break
    assert len(originals) >= 30
    reps = phash_representatives(np.array(originals + copies, dtype=np.uint64), 2)
    n = len(originals)
    joined = sum(reps[i] == reps[n + i] for i in range(n)) / n
    print(f"\nperceptual identity, max_distance 2: {joined:.2f} of {n} halved JPEG copies join their original")
    assert joined >= 0.7
    assert len(set(reps[:n].tolist())) == n  # distinct pictures are never merged


def test_cjk_characters_are_words_and_wide_punctuation_separates():
    def same(a: str, b: str) -> bool:
        return word_hashes([a])[0].tolist() == word_hashes([b])[0].tolist()

    assert same("你好，世界！", "你 好 世 界")
    assert same("ab中文c", "ab 中 文 c")
    assert same("今日は。晴れ", "今 日 は 晴 れ")
    assert same("“Quoted” text—more…", "quoted text more")
    assert same("no\xa0break", "no break")
    assert same("한국어 텍스트", "한국어  텍스트") and word_hashes(["한국어 텍스트"])[0].size == 2
    assert word_hashes(["café crème"])[0].size == 2


def test_near_duplicate_chinese_text_is_found():
    rng = random.Random(3)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    base = "".join(rng.choices(chars, k=800))
    edited = base[:400] + "的" + base[401:]
    other = "".join(rng.choices(chars, k=800))
    sig, _ = signatures([base, edited, other], 5, 112, 1)
    assert estimated_jaccard(sig[0], sig[1]) > 0.9
    assert estimated_jaccard(sig[0], sig[2]) < 0.1


def test_cluster_centers_break_chains():
    from filters.dedup.centers import assign_to_centers

    # Signatures: doc 0 and 1 share 80%, 1 and 2 share 80%, 0 and 2 only 60%; 3 and 4 a pair.
    sig = np.zeros((5, 10), np.uint32)
    sig[0] = np.arange(10)
    sig[1] = sig[0]
    sig[1, 8:] = 100
    sig[2] = sig[1]
    sig[2, :2] = 200
    sig[3] = 7
    sig[4] = 7
    nodes = np.array([0, 1, 2, 3, 4])  # in keep-rule order
    roots = np.array([0, 0, 0, 3, 3])
    dropped, kept, n_kept = assign_to_centers(nodes, roots, lambda d: sig[d], threshold=0.7)
    assert dict(zip(dropped.tolist(), kept.tolist())) == {1: 0, 4: 3}
    assert n_kept == 3  # 0, 2 (not like 0 although linked through 1) and 3
    # With a looser threshold the chain is one copy set.
    dropped, kept, n_kept = assign_to_centers(nodes, roots, lambda d: sig[d], threshold=0.5)
    assert dict(zip(dropped.tolist(), kept.tolist())) == {1: 0, 2: 0, 4: 3} and n_kept == 2
