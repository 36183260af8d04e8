"""The inputs people pass to the library (issue: production-grade library): DataFrames as
documents, result rows back in, options checked against each backend's declared ones, a score
cache keyed by image bytes, hub ids that fail fast, short reprs."""

from __future__ import annotations

import inspect
import os
import time

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.helpers import random_image
from workbench import get_reranker
from workbench.errors import InputError, ModelNotFound
from workbench.model import Document
from workbench.rerank import registry

DOCS = ["red running shoes on sale", "a bowl of rice", "shoes shoes red shoes", "blue kettle"]


def test_a_dataframe_of_documents_ranks_its_rows_not_its_column_names():
    rr = get_reranker("bm25")
    frame = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "text": DOCS})
    res = rr.rank("red shoes", frame)
    assert sorted(r.doc_id for r in res) == ["a", "b", "c", "d"]
    assert res[0].doc_id in ("a", "c") and res[-1].doc_id in ("b", "d")
    # the same ranking as the plain list
    plain = rr.rank("red shoes", [{"id": i, "text": t} for i, t in zip("abcd", DOCS)])
    assert [r.doc_id for r in res] == [r.doc_id for r in plain]


def test_result_rows_go_back_in_as_documents():
    rr = get_reranker("bm25")
    first = rr.rank("red shoes", [{"doc_id": i, "text": t} for i, t in zip("abcd", DOCS)])
    again = rr.rank("red shoes", first.to_pandas().to_dict("records"))
    assert [(r.doc_id, round(r.score, 9)) for r in again] == [(r.doc_id, round(r.score, 9)) for r in first]
    again_frame = rr.rank("red shoes", first.to_pandas())
    assert [r.doc_id for r in again_frame] == [r.doc_id for r in first]


def test_a_dataframe_with_unknown_columns_is_refused_with_the_accepted_ones():
    rr = get_reranker("bm25")
    with pytest.raises(InputError) as err:
        rr.rank("q", pd.DataFrame({"id": ["a"], "body": ["x"]}))
    assert "body" in str(err.value) and "text" in err.value.fix


@pytest.mark.parametrize("bad", [-1, -5, 2.5, "3", True])
def test_top_k_that_is_not_a_count_is_an_error_in_rank(bad):
    rr = get_reranker("bm25")
    with pytest.raises(InputError) as err:
        rr.rank("red shoes", DOCS, top_k=bad)
    assert "top_k" in str(err.value)


def test_top_k_accepts_numpy_integers_and_zero():
    rr = get_reranker("bm25")
    assert len(rr.rank("red shoes", DOCS, top_k=np.int64(2))) == 2
    assert len(rr.rank("red shoes", DOCS, top_k=0)) == 0
    assert len(rr.rank("red shoes", DOCS, top_k=None)) == 4


def test_unknown_options_are_refused_with_the_valid_names():
    with pytest.raises(InputError) as err:
        get_reranker("bm25", typo_option=3)
    assert "typo_option" in str(err.value)
    assert "k1" in err.value.fix and "batch_size" in err.value.fix
    with pytest.raises(InputError) as err:
        get_reranker("bm25", dtype="float16")     # a Qwen option, not BM25's
    assert "dtype" in str(err.value)
    assert get_reranker("bm25", k1=1.2, b=0.5, batch_size=64).params()["k1"] == 1.2


@pytest.mark.parametrize("key", sorted(registry.BACKENDS))
def test_declared_options_are_exactly_the_backend_constructor_parameters(key):
    import importlib

    spec = registry.BACKENDS[key]
    cls = getattr(importlib.import_module(spec.module, "workbench.rerank"), spec.cls)
    params = {n for n, p in inspect.signature(cls.__init__).parameters.items()
              if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    assert set(spec.options) == params


def test_help_lists_every_backend_and_its_options():
    doc = registry.get_reranker.__doc__
    for spec in registry.BACKENDS.values():
        assert repr(spec.name) in doc
        for opt in spec.options:
            assert f"{opt}:" in doc


def test_reprs_are_short_and_say_what_they_are():
    rr = get_reranker("bm25")
    assert repr(rr).startswith("LexicalReranker(backend='lexical'") and len(repr(rr)) < 120
    res = rr.rank("red shoes", DOCS)
    text = repr(res)
    assert text.startswith("RankedResults(") and "4 documents" in text and len(text) < 200
    many = rr.rank_many([("red shoes", DOCS), ("rice", DOCS)], progress=False)
    assert repr(many) == "RankedResultsMany(2 queries, 8 documents)"
    frame = many.to_pandas()
    assert list(frame.columns[:3]) == ["query_id", "query", "doc_id"]
    assert set(frame["query"]) == {"red shoes", "rice"}


def test_dtype_takes_a_torch_dtype(tiny_checkpoint):
    import torch

    rr = get_reranker("qwen-vl", model_path=str(tiny_checkpoint), dtype=torch.float32, device="cpu")
    assert rr.params()["dtype"] == "float32"
    assert len(rr.rank("red shoes", DOCS[:2])) == 2


class _DictCache:
    def __init__(self):
        self.data = {}

    def get_many(self, keys):
        return {k: self.data[k] for k in keys if k in self.data}

    def put_many(self, items):
        self.data.update(items)


def test_the_score_cache_key_comes_from_the_image_bytes_not_its_path(tiny_checkpoint, tmp_path):
    rr = get_reranker("qwen-vl", model_path=str(tiny_checkpoint), device="cpu")
    path = tmp_path / "photo.png"
    random_image(path, 48, 40, seed=1)
    cache = _DictCache()
    docs = [{"id": "p", "image": str(path)}, {"id": "t", "text": "a red shoe"}]
    first = rr.rank("red shoes", docs, cache=cache)
    assert first.cache_misses == 2
    before = os.stat(path).st_mtime_ns
    # other pixels at the same path
    arr = (np.random.RandomState(7).rand(64, 64, 3) * 255).astype("uint8")
    Image.fromarray(arr).save(path, format="PNG")
    if os.stat(path).st_mtime_ns == before:    # coarse clock: make the change visible
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))
    second = rr.rank("red shoes", docs, cache=cache)
    assert second.cache_hits == 1 and second.cache_misses == 1     # the text doc only is a hit
    fresh = get_reranker("qwen-vl", model_path=str(tiny_checkpoint), device="cpu").rank("red shoes", docs)
    assert second.get("p").score == pytest.approx(fresh.get("p").score, abs=1e-6)
    # the key is the bytes: a copy of the file under another name hits the cache
    copy = tmp_path / "copy.png"
    copy.write_bytes(path.read_bytes())
    third = rr.rank("red shoes", [{"id": "p", "image": str(copy)}], cache=cache)
    assert third.cache_hits == 1
    assert Document(id="x", image=str(path)).content_hash() == Document(id="y", image=str(copy)).content_hash()


@pytest.mark.parametrize("model", ["some-org/some-reranker", "cross-encoder/ms-marco-MiniLM-L6-v2"])
def test_hub_ids_fail_fast_offline_and_name_the_id(model, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")     # nothing listens there
    monkeypatch.setenv("HF_HOME", str(os.environ.get("WORKBENCH_HOME", "/tmp")) + "/hf-empty")
    t0 = time.perf_counter()
    with pytest.raises(ModelNotFound) as err:
        get_reranker(model)
    assert time.perf_counter() - t0 < 10
    assert model in str(err.value)


def test_hub_id_fails_fast_from_the_cli(monkeypatch, capsys, candidates_csv):
    from workbench.cli import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(os.environ.get("WORKBENCH_HOME", "/tmp")) + "/hf-empty")
    t0 = time.perf_counter()
    rc = main(["rerank", "--input", str(candidates_csv), "--model", "some-org/some-reranker", "--output", "-"])
    assert rc != 0 and time.perf_counter() - t0 < 30
    err = capsys.readouterr().err
    assert "some-org/some-reranker" in err
