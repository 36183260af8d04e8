"""`Reranker.score_pairs`: the public pair scorer (the server's micro-batches, notebooks), on the
tiny real checkpoint and on BM25; it agrees with `rank` because it is the same scoring path."""

from __future__ import annotations

import threading

import pytest

from workbench.errors import Cancelled, InputError
from workbench.model import Document, Query
from workbench.rerank import get_reranker
from tests.helpers import random_image

INSTR = "Given a web search query, retrieve relevant passages that answer the query"


@pytest.fixture(scope="module")
def reranker(tiny_checkpoint):
    return get_reranker("qwen-vl", model_path=tiny_checkpoint, batch_size=4)


def test_score_pairs_agree_with_rank_across_queries(reranker, tmp_path):
    img = random_image(tmp_path / "a.png", 56, 56, 1)
    docs_a = ["red running shoes", {"id": "pic", "image": img}, "a cup of coffee"]
    docs_b = ["blue sky", "无线蓝牙耳机"]
    want_a = reranker.rank("shoes", docs_a, INSTR).scores_in_input_order()
    want_b = reranker.rank("weather", docs_b).scores_in_input_order()
    # interleaved queries, two instructions (one as the call's default), 2- and 3-tuples
    pairs = [("shoes", docs_a[0]), (None, "weather", docs_b[0]), ("shoes", docs_a[1]),
             (None, "weather", docs_b[1]), ("shoes", docs_a[2])]
    got = reranker.score_pairs(pairs, INSTR)
    assert isinstance(got, list) and len(got) == 5
    assert got == pytest.approx([want_a[0], want_b[0], want_a[1], want_b[1], want_a[2]], abs=1e-6)
    assert all(0.0 <= s <= 1.0 for s in got)
    assert all(t > 0 for t in got.tokens)                  # real input lengths
    assert got.tokens[2] > got.tokens[0]                   # the image pair has image tokens
    assert "PairScores([" in repr(got)


def test_score_pairs_more_pairs_than_a_batch(reranker):
    docs = [f"document number {i} about shoes" * (1 + i % 3) for i in range(11)]
    want = reranker.rank("shoes", docs, INSTR).scores_in_input_order()
    got = reranker.score_pairs([(Query("q", text="shoes"), Document(str(i), text=d)) for i, d in enumerate(docs)],
                               INSTR)
    assert got == pytest.approx(want, abs=1e-6)


def test_score_pairs_bad_input_and_cancel(reranker):
    with pytest.raises(InputError) as err:
        reranker.score_pairs(["just a string"])
    assert "score_pairs" in str(err.value) and err.value.code == "rank.pair_bad_shape"
    with pytest.raises(InputError):
        reranker.score_pairs([("q", "d", "x", "y")])
    assert reranker.score_pairs([]) == []
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        reranker.score_pairs([("q", "a"), ("q", "b")], cancel=stop)


def test_score_pairs_bm25_is_per_query_corpus():
    rr = get_reranker("bm25")
    docs_a = ["red running shoes", "red car", "blue shoes for running"]
    docs_b = ["sunny weather today", "rain and weather"]
    want_a = rr.rank("red shoes", docs_a).scores_in_input_order()
    want_b = rr.rank("weather", docs_b).scores_in_input_order()
    got = rr.score_pairs([("weather", docs_b[1]), ("red shoes", docs_a[0]), ("red shoes", docs_a[1]),
                          ("weather", docs_b[0]), ("red shoes", docs_a[2])], with_tokens=True)
    assert got == pytest.approx([want_b[1], want_a[0], want_a[1], want_b[0], want_a[2]])
    assert all(t > 0 for t in got.tokens)                  # words of query + document
    # stale state: the same Document objects scored under another query give that query's scores
    same = [Document(str(i), text=t) for i, t in enumerate(docs_a)]
    rr.rank("red shoes", same)
    again = rr.score_pairs([("car", d) for d in same])
    assert again == pytest.approx(rr.rank("car", docs_a).scores_in_input_order())
