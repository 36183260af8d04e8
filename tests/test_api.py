"""The public, notebook-grade API: `from workbench import get_reranker, Query, Document, RankedResults`."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench
from workbench import Document, Query, RankedResults, Result, get_reranker
from workbench.errors import InputError

from .helpers import random_image


def test_readme_notebook_example_bm25():
    # exactly the README's notebook example
    df = get_reranker("bm25").rank("red running shoes", ["red mesh running shoes", "blue wool hat"]).to_pandas()
    assert list(df.columns) == ["doc_id", "rank", "score", "text", "image"]
    assert df["doc_id"].tolist() == ["0", "1"]          # generated ids: input positions
    assert df["text"].tolist() == ["red mesh running shoes", "blue wool hat"]
    assert df["rank"].tolist() == [1, 2]
    assert df["score"].iloc[0] > df["score"].iloc[1]


def test_public_names_and_one_result_type():
    assert set(workbench.__all__) >= {"get_reranker", "Query", "Document", "RankedResults"}
    res = get_reranker("bm25").rank(Query("q", text="tea"), [Document("a", text="green tea"),
                                                              Document("b", text="coffee")])
    assert isinstance(res, RankedResults)
    assert all(type(r) is Result for r in res)           # the same type the store keeps
    assert res["a"].rank == 1 and res.get("b").rank == 2
    assert [r.doc_id for r in res.top_k(1)] == ["a"]
    assert res.score_kind == "raw"                        # BM25 is not a probability


def test_dict_inputs_ids_kept_and_generated():
    res = get_reranker("bm25").rank({"text": "tea"}, [{"id": "x", "text": "tea leaves"}, {"text": "milk"}])
    assert {r.doc_id for r in res} == {"x", "1"}


@pytest.mark.parametrize("query, docs, words", [
    (42, ["a"], "int"),
    ("q", "one document", "list"),
    ("q", [{"text": "a", "colour": "red"}], "colour"),
    ({"txt": "typo"}, ["a"], "txt"),
    ({"id": "q"}, ["a"], "neither text nor an image"),
    ("q", ["a", {"id": "0", "text": "b"}], "share the id"),
])
def test_bad_inputs_get_fix_it_errors(query, docs, words):
    with pytest.raises(InputError) as info:
        get_reranker("bm25").rank(query, docs)
    assert words in str(info.value) and info.value.fix


def test_unknown_backend_name_is_explained():
    with pytest.raises(InputError) as info:
        get_reranker("bm26")
    assert "bm25" in info.value.fix and "folder" in info.value.fix


def test_same_call_on_a_tiny_qwen_vl_checkpoint_with_an_image(tiny_checkpoint, tmp_path):
    img = random_image(tmp_path / "shoe.png", 64, 48, seed=1)
    rr = get_reranker(tiny_checkpoint)                    # a checkpoint folder selects qwen-vl
    res = rr.rank("red running shoes", ["red mesh running shoes", {"image": img}, "blue wool hat"])
    df = res.to_pandas()
    assert len(df) == 3 and set(df["doc_id"]) == {"0", "1", "2"}
    assert df.loc[df.doc_id == "1", "image"].item() == img
    assert res.score_kind == "probability"
    assert all(0.0 < s < 1.0 for s in df["score"])
    # rank() and score() agree on one pair, and instruction=None is the model's default
    one = rr.score("red running shoes", {"image": img})
    assert one == pytest.approx(res["1"].score, abs=1e-6)
    assert res.instruction == rr.resolve_instruction("")
    assert isinstance(df, pd.DataFrame)
