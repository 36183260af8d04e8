"""`Reranker.rank_many`: many queries in one call, batched across queries on the real tiny
Qwen-VL checkpoint (no mocks), the same scores as one `rank` per query."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from tests.helpers import random_image
from workbench import RankedResultsMany, get_reranker
from workbench.errors import InputError
from workbench.model import Document, Query

INSTR = "Given a web search query, retrieve relevant passages that answer the query"


def _items(tmp_path):
    img = random_image(tmp_path / "q.png", 56, 56, seed=3)
    dimg = random_image(tmp_path / "d.png", 84, 56, seed=4)
    return [
        ("red running shoes", ["red mesh running shoes", "blue wool hat", "trail shoes, red"]),
        (Query("img-q", image=img, text="this jacket"), [Document("j1", text="denim jacket"),
                                                         Document("j2", image=dimg)]),
        ({"id": "zh", "text": "报销政策"}, ["差旅报销需要发票", "酒店预订流程", "机票改签"]),
    ]


def test_batches_across_queries_and_equals_rank_per_query(tiny_checkpoint, tmp_path):
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint, batch_size=4)
    items = _items(tmp_path)
    seen = []
    real = rr._prepare_pairs

    def spy(instruction, pairs):
        seen.append({q.id for q, _ in pairs})
        return real(instruction, pairs)

    rr._prepare_pairs = spy
    many = rr.rank_many(items, INSTR, progress=False)
    assert isinstance(many, RankedResultsMany) and many.done and len(many) == 3
    assert [r.query.id for r in many] == ["0", "img-q", "zh"]
    assert any(len(ids) > 1 for ids in seen), seen          # at least one batch mixed queries
    assert sum(1 for _ in seen) <= 3                         # 8 pairs, batches of 4
    del rr._prepare_pairs
    for (query, docs), got in zip(items, many):
        one = rr.rank(query, docs, INSTR)
        assert [r.doc_id for r in got] == [r.doc_id for r in one]
        for a, b in zip(got, one):
            assert a.score == pytest.approx(b.score, abs=1e-6)
    df = many.to_pandas()
    assert list(df.columns) == ["query_id", "query", "doc_id", "rank", "score", "text", "image"] and len(df) == 8
    assert many["zh"].query.text == "报销政策"


def test_a_long_dataframe_in_and_out_and_progress(tiny_checkpoint):
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint)
    frame = pd.DataFrame({"query_id": ["a", "a", "b", "b", "b"],
                          "query": ["red shoes", "red shoes", "blue hat", "blue hat", "blue hat"],
                          "doc_id": ["1", "2", "1", "2", "3"],
                          "doc": ["red shoes", "a hat", "blue hat", "shoes", "blue"]})
    ticks = []
    many = rr.rank_many(frame, INSTR, progress=lambda done, total: ticks.append((done, total)), top_k=2)
    assert [len(r) for r in many] == [2, 2] and ticks[-1] == (5, 5)
    out = many.to_pandas()
    assert set(out["query_id"]) == {"a", "b"} and out.groupby("query_id")["rank"].max().tolist() == [2, 2]
    with pytest.raises(InputError) as err:
        rr.rank_many(frame.drop(columns=["doc"]), INSTR)
    assert "doc" in (err.value.fix or "") + err.value.message
    with pytest.raises(InputError):
        rr.rank_many([("q", ["a"]), ({"id": "0", "text": "again"}, ["b"])], INSTR)   # two queries with id 0
    clash = frame.copy()
    clash.loc[2, "query_id"] = "a"                       # query 'a' now also says "blue hat"
    with pytest.raises(InputError) as err:
        rr.rank_many(clash, INSTR)
    assert err.value.code == "rank.many_query_differs" and "row 3" in err.value.message.lower()
    empty = frame.copy()
    empty.loc[1, "doc"] = None
    with pytest.raises(InputError) as err:
        rr.rank_many(empty, INSTR)
    assert err.value.code == "rank.many_empty_document"
    for bad in (-1, "2", 1.5, True):
        with pytest.raises(InputError) as err:
            rr.rank_many(frame, INSTR, top_k=bad)
        assert err.value.code == "rank.negative_top_k"


def test_cancel_keeps_the_queries_finished(tiny_checkpoint):
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint, batch_size=2)
    items = [(f"query {i}", [f"document {i} {j}" for j in range(2)]) for i in range(4)]
    cancel = threading.Event()
    finished = []

    def on_ranking(i, ranking):
        finished.append(i)
        cancel.set()                         # stop after the first complete query

    many = rr.rank_many(items, INSTR, progress=False, cancel=cancel, on_ranking=on_ranking)
    assert not many.done and 1 <= len(many) < 4 and len(finished) == len(many)
    assert all(len(r) == 2 for r in many)


def test_bm25_ranks_one_query_at_a_time_with_the_same_answer():
    rr = get_reranker("bm25")
    items = [("red shoes", ["red shoes on sale", "blue hat", "shoes"]), ("blue hat", ["red shoes", "a blue hat"])]
    many = rr.rank_many(items, progress=False)
    for (q, docs), got in zip(items, many):
        assert [r.score for r in got] == [r.score for r in rr.rank(q, docs)]
