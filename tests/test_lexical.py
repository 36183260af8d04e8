"""BM25 baseline: real scores, Chinese tokenisation, sample sets."""

from __future__ import annotations

import pytest

from workbench import formats
from workbench.errors import BackendUnavailable, InputError
from workbench.model import CacheKey, Document, Query
from workbench.rerank import available_backends, get_reranker
from workbench.rerank.lexical import document_text, tokenize


def test_tokenize_chinese_and_latin():
    toks = tokenize("女士红色跑步鞋 Running SHOES, size 38")
    assert "running" in toks and "shoes" in toks and "38" in toks
    assert "跑步" in toks or "跑步鞋" in toks
    assert "," not in toks and "the" not in tokenize("the shoes")


def test_bm25_ranks_relevant_first_and_scores_are_bm25():
    q = Query("q", text="红色跑步鞋")
    docs = [Document("bottle", text="不锈钢保温杯"), Document("shoes", text="女士红色跑步鞋，轻便透气"),
            Document("empty", text="")]
    res = get_reranker("bm25").rank(q, docs, "ignored instruction")
    assert res[0].doc_id == "shoes"
    assert res[0].score > 1.0 or res[0].score > res[1].score  # unbounded BM25, not a probability
    assert res.get("bottle").score == 0.0 and res.get("empty").score == 0.0
    assert res.backend == "lexical" and res.model_id == "bm25"


def test_instruction_is_ignored_and_ocr_text_counts():
    docs = [Document("a", text="photo"), Document("b", text="photo", ocr_text="SALE 50% red sneakers")]
    q = Query("q", text="red sneakers")
    r1 = get_reranker("lexical").rank(q, docs, "one")
    r2 = get_reranker("lexical").rank(q, docs, "completely different")
    assert r1[0].doc_id == "b" and [x.score for x in r1] == [x.score for x in r2]
    assert "sneakers" in document_text(docs[1])


def test_no_overlap_keeps_input_order():
    docs = [Document(str(i), text="alpha beta") for i in range(4)]
    res = get_reranker("bm25").rank(Query("q", text="gamma"), docs, "")
    assert [r.doc_id for r in res] == ["0", "1", "2", "3"] and all(r.score == 0 for r in res)


def test_lexical_does_not_use_pair_cache():
    class Cache:
        def get_many(self, keys):
            raise AssertionError("BM25 scores depend on the whole set; no per-pair cache")

        def put_many(self, items):
            raise AssertionError("no put")

    res = get_reranker("bm25").rank(Query("q", text="x"), [Document("a", text="x")], "", cache=Cache())
    assert res.cache_hits == 0


# sets where the words overlap; the cross-lingual / image-only sets are what BM25 cannot do
@pytest.mark.parametrize("query_id", ["denim-jacket", "travel-en", "cat", "coffee"])
def test_sample_sets_relevant_first(query_id):
    sets = {cs.query.id: cs for s in formats.list_samples() for cs in formats.read_candidates(s.path).sets}
    cset = sets[query_id]
    res = get_reranker("bm25").rank(cset.query, cset.documents, "")
    assert cset.labels.get(res[0].doc_id) == max(cset.labels.values())


def test_registry_errors(monkeypatch):
    with pytest.raises(InputError) as info:
        get_reranker("nope")
    assert "lexical" in info.value.fix
    assert available_backends() == {"qwen-vl": True, "lexical": True, "remote": True}
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "jieba" else real(name, *a))
    with pytest.raises(BackendUnavailable) as info:
        get_reranker("bm25")
    assert "pip install 'lychee-workbench[bm25]'" in info.value.fix and "jieba" in info.value.message


def test_latin_text_never_goes_through_jieba_and_cjk_runs_do(monkeypatch):
    from workbench.rerank import lexical

    def no_jieba():
        raise AssertionError("jieba was asked for a text without CJK characters")

    monkeypatch.setattr(lexical, "_get_jieba", no_jieba)
    assert lexical.tokenize("The Red running-shoes, size 42 (café)") == ["red", "running", "shoes", "size", "42", "café"]
    monkeypatch.undo()
    calls = []
    real = lexical._get_jieba()

    class Spy:
        @staticmethod
        def cut_for_search(text):
            calls.append(text)
            return real.cut_for_search(text)

    monkeypatch.setattr(lexical, "_get_jieba", lambda: Spy)
    assert lexical.tokenize("Nike 红色跑步鞋 size 42") == ["nike", "红色", "跑步", "鞋", "size", "42"]
    assert calls == ["红色跑步鞋"]                     # only the CJK run


def test_bm25_scores_equal_bm25s_lucene():
    """Our query-terms-only BM25 gives bm25s' numbers (its Lucene method is the reference)."""
    import random

    import bm25s
    import numpy as np

    from workbench.rerank.lexical import bm25_scores

    rng = random.Random(7)
    vocab = [f"t{i}" for i in range(40)]
    for trial in range(30):
        corpus = [[rng.choice(vocab) for _ in range(rng.randint(1, 30))] for _ in range(rng.randint(1, 25))]
        query = [rng.choice(vocab) for _ in range(rng.randint(1, 6))]
        ours = bm25_scores(corpus, query, 1.5, 0.75)
        ref = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
        ref.index(corpus, show_progress=False)
        known = {t for d in corpus for t in d}
        q = [t for t in query if t in known]
        theirs = ref.get_scores(q) if q else np.zeros(len(corpus))
        assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-6), (trial, ours, list(theirs))
    assert bm25_scores([], ["a"]) == [] and bm25_scores([["a"]], []) == [0.0]
