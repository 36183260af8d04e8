"""Engine tests on the tiny random Qwen2.5-VL checkpoint: the real code path, no mocks."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from workbench import config
from workbench.errors import Cancelled, ModelNotFound
from workbench.model import CacheKey, Document, Query
from workbench.rerank import get_reranker, plan_batches
from workbench.rerank.base import rank_order
from workbench.rerank.qwen_vl import select_runtime
from tests.helpers import random_image

INSTR = "Given a web search query, retrieve relevant passages that answer the query"


_image = random_image


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    d = tmp_path_factory.mktemp("imgs")
    return {
        "a": _image(d / "a.png", 56, 56, 1),
        "b": _image(d / "b.png", 112, 84, 2),
        "c": _image(d / "c.jpg", 84, 112, 3),
    }


@pytest.fixture(scope="module")
def reranker(tiny_checkpoint):
    return get_reranker("qwen-vl", model_path=tiny_checkpoint, batch_size=4)


@pytest.fixture(scope="module")
def docs(images):
    return [
        Document("t-short", text="red running shoes"),
        Document("img", image=images["a"]),
        Document("t-long", text="Lightweight breathable mesh running shoes in red, " * 6 + "size 38"),
        Document("mixed", text="无线蓝牙耳机 coffee cup", image=images["b"]),
        Document("img2", image=images["c"]),
    ]


class MemCache:
    def __init__(self):
        self.data: dict[CacheKey, float] = {}
        self.gets = 0

    def get_many(self, keys):
        self.gets += 1
        return {k: self.data[k] for k in keys if k in self.data}

    def put_many(self, items):
        self.data.update(items)


def reference_scores(path, instruction, query, docs, layout="lychee"):
    """Independent implementation of the model-card recipe: messages by hand, processor,
    a full forward (all positions), softmax over [no, yes] at the last position.

    layout "lychee": separate text elements "<Instruct>: " + instruction, "<Query>:", … (public
    Lychee usage code); "lychee-v1": "<Instruct>: {instruction}\n<Query>:" as one element."""
    from workbench.rerank.qwen_vl.compat import ensure_torchvision

    ensure_torchvision()
    import torch
    from qwen_vl_utils import process_vision_info
    from transformers import AutoProcessor, Qwen2_5_VLForConditionalGeneration

    processor = AutoProcessor.from_pretrained(path)
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(path, dtype=torch.float32).eval()
    tok = processor.tokenizer
    yes, no = tok.get_vocab()["yes"], tok.get_vocab()["no"]
    out = []
    for doc in docs:
        def img(p):
            return {"type": "image", "image": p, "min_pixels": config.MIN_PIXELS,
                    "max_pixels": config.MAX_PIXELS}
        if layout == "lychee-v1":
            user = [{"type": "text", "text": "<Instruct>: " + instruction + "\n<Query>:"}]
        else:
            user = [{"type": "text", "text": "<Instruct>: " + instruction},
                    {"type": "text", "text": "<Query>:"}]
        if query.image:
            user.append(img(query.image))
        if query.text:
            user.append({"type": "text", "text": query.text})
        user.append({"type": "text", "text": "\n<Document>:"})
        if doc.image:
            user.append(img(doc.image))
        if doc.ranking_text:  # the contract: the engine sees ranking_text (description or text)
            user.append({"type": "text", "text": doc.ranking_text})
        messages = [{"role": "system", "content": [{"type": "text", "text": config.SYSTEM_PROMPT}]},
                    {"role": "user", "content": user}]
        text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ims, vids = process_vision_info(messages)
        inputs = processor(text=[text], images=ims, videos=vids, return_tensors="pt")
        with torch.no_grad():
            logits = model(**inputs).logits[0, -1]
        out.append(torch.softmax(torch.stack([logits[no], logits[yes]]), 0)[1].item())
    return out


def test_select_runtime_pure():
    assert select_runtime(False, False) == ("cpu", "float32", "sdpa")
    assert select_runtime(False, True) == ("cpu", "float32", "sdpa")
    assert select_runtime(True, False) == ("cuda", "bfloat16", "sdpa")
    assert select_runtime(True, True) == ("cuda", "bfloat16", "flash_attention_2")


def test_loaded_backend_uses_sdpa_without_flash_attn(reranker):
    import importlib.util

    assert importlib.util.find_spec("flash_attn") is None  # this machine
    assert reranker.attn_implementation == "sdpa"
    assert reranker.model.config._attn_implementation == "sdpa"
    assert reranker.dtype_name == "float32" and reranker.device == "cpu"


@pytest.mark.parametrize("query_kind,doc_kind", [
    ("text", "text"), ("text", "image"), ("image", "text"), ("image+text", "image+text")])
def test_four_modality_pairs(reranker, images, query_kind, doc_kind):
    q = Query("q", text="red shoes" if "text" in query_kind else "",
              image=images["a"] if "image" in query_kind else None)
    d = Document("d", text="a pair of red shoes" if "text" in doc_kind else "",
                 image=images["b"] if "image" in doc_kind else None)
    assert q.modality == query_kind and d.modality == doc_kind
    res = reranker.rank(q, [d], INSTR)
    s = res[0].score
    assert np.isfinite(s) and 0.0 < s < 1.0


@pytest.mark.parametrize("layout", ["lychee", "lychee-v1"])
def test_matches_independent_recipe(tiny_checkpoint, images, docs, layout):
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint, batch_size=4, prompt_format=layout)
    q = Query("q", text="red running shoes", image=images["c"])
    got = rr.rank(q, docs, INSTR).scores_in_input_order()
    ref = reference_scores(tiny_checkpoint, INSTR, q, docs, layout)
    np.testing.assert_allclose(got, ref, atol=1e-5, rtol=0)
    assert max(ref) - min(ref) > 1e-4  # the checkpoint really discriminates inputs


def test_default_format_is_lychee_and_layouts_really_differ(reranker, tiny_checkpoint, images, docs):
    assert reranker.format.name == "lychee" and reranker.params()["prompt"] == "lychee"
    v1 = get_reranker("qwen-vl", model_path=tiny_checkpoint, prompt_format="lychee-v1")
    q = Query("q", text="red running shoes")
    a = reranker.rank(q, docs[:2], INSTR).scores_in_input_order()
    b = v1.rank(q, docs[:2], INSTR).scores_in_input_order()
    assert max(abs(x - y) for x, y in zip(a, b)) > 1e-6   # one token apart: not the same input
    assert reranker.cache_key(INSTR, q, docs[0]) != v1.cache_key(INSTR, q, docs[0])


def test_alone_equals_padded_mixed_batch(tiny_checkpoint, docs):
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint, batch_size=len(docs))
    q = Query("q", text="red running shoes")
    batched = rr.rank(q, docs, INSTR).scores_in_input_order()
    alone = [rr.rank(q, [d], INSTR).scores_in_input_order()[0] for d in docs]
    np.testing.assert_allclose(batched, alone, atol=1e-5, rtol=0)
    # the batch really was padded: lengths differ
    enc = rr.encode([rr.messages_for(INSTR, q, d) for d in docs])
    lengths = enc["attention_mask"].sum(1).tolist()
    assert len(set(lengths)) > 1 and enc["attention_mask"][:, -1].all()  # left padding


def test_overlong_document_truncated_with_prompt_intact(tiny_checkpoint, images):
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint, max_length=160)
    q = Query("q", text="red running shoes")
    long_doc = Document("too-long", text="breathable mesh running shoes, red. " * 200, image=images["a"])
    short = Document("short", text="red shoes")
    res = rr.rank(q, [short, long_doc], INSTR)
    assert any("too-long" in w and "truncated" in w for w in res.warnings)
    assert not any("'short'" in w for w in res.warnings)
    msgs = rr._fit(INSTR, q, long_doc)
    enc = rr.encode([msgs])
    ids = enc["input_ids"][0].tolist()
    assert len(ids) <= 160
    tail = rr.processor.tokenizer.decode(ids[-5:])
    assert tail.endswith("<|im_start|>assistant\n")
    assert 0 < res.get("too-long").score < 1


def test_v4_layout_gives_same_scores(tmp_path, reranker, docs):
    from workbench.testing.tiny import build_tiny_checkpoint

    v4 = build_tiny_checkpoint(tmp_path / "v4", layout="v4")
    assert (v4 / "preprocessor_config.json").exists() and (v4 / "chat_template.json").exists()
    import json

    assert "text_config" not in json.loads((v4 / "config.json").read_text())
    rr4 = get_reranker("qwen-vl", model_path=str(v4))
    q = Query("q", text="red running shoes")
    np.testing.assert_allclose(rr4.rank(q, docs, INSTR).scores_in_input_order(),
                               reranker.rank(q, docs, INSTR).scores_in_input_order(), atol=1e-6)


def test_cache_second_call_all_hits(reranker, docs):
    cache = MemCache()
    q = Query("q", text="shoes")
    first = reranker.rank(q, docs, INSTR, cache=cache)
    assert first.cache_hits == 0 and first.cache_misses == len(docs)
    assert len(cache.data) == len(docs)
    second = reranker.rank(q, docs, INSTR, cache=cache)
    assert second.cache_hits == len(docs) and second.cache_misses == 0
    assert [r.score for r in second] == [r.score for r in first]
    # a different instruction is a different key
    third = reranker.rank(q, docs, "other instruction", cache=cache)
    assert third.cache_hits == 0


def test_cancel_between_batches_keeps_partial(tiny_checkpoint, docs):
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint, batch_size=2)
    cancel = threading.Event()
    seen: dict[int, float] = {}
    progress = []

    def on_scores(part):
        seen.update(part)
        cancel.set()  # cancel as soon as the first batch is in

    cache = MemCache()
    with pytest.raises(Cancelled) as info:
        rr.rank(Query("q", text="shoes"), docs, INSTR, cancel=cancel, on_scores=on_scores,
                cache=cache, progress=lambda d, t: progress.append((d, t)))
    done = info.value.done
    assert 1 <= done <= 2 and info.value.total == len(docs)  # one batch (cap 2) was done
    # batches are planned by length (not input order): the first batch's docs, saved and cached
    assert len(seen) == done and len(cache.data) == done
    assert set(seen) <= set(range(len(docs)))
    assert progress[-1] == (done, len(docs))


def test_results_api_and_top_k(reranker, docs):
    res = reranker.rank(Query("q", text="shoes"), docs, INSTR, top_k=3)
    assert len(res) == 3 and [r.rank for r in res] == [1, 2, 3]
    assert res.top_k(2) == res.results[:2]
    assert res[res[0].doc_id] is res[0] and res.get(res[1].doc_id).rank == 2
    assert res[0].score >= res[1].score >= res[2].score
    assert res[0].document is docs[res[0].index]
    with pytest.raises(KeyError):
        res.get("nope")


def test_missing_model_path_error(monkeypatch, tmp_path):
    monkeypatch.delenv("WORKBENCH_MODEL", raising=False)
    with pytest.raises(ModelNotFound) as info:
        get_reranker("qwen-vl")
    text = str(info.value)
    assert "WORKBENCH_MODEL" in text and "hf download vec-ai/lychee-rerank-mm" in text
    with pytest.raises(ModelNotFound) as info:
        get_reranker("qwen-vl", model_path=str(tmp_path / "nowhere"))
    assert "nowhere" in str(info.value) and info.value.fix


def test_plan_batches_and_stable_ties():
    plan = plan_batches([5, 1, 9, 3, 7], batch_size=2)
    assert sorted(i for b in plan for i in b) == [0, 1, 2, 3, 4]
    assert all(len(b) <= 2 for b in plan)
    assert rank_order([0.5, 0.9, 0.5, 0.9]) == [1, 3, 0, 2]


def test_length_estimate_matches_processor(reranker, images):
    q = Query("q", text="red running shoes", image=images["c"])
    d = Document("d", text="无线蓝牙耳机 coffee cup", image=images["b"])
    msgs = reranker.messages_for(INSTR, q, d)
    n = reranker.encode([msgs])["input_ids"].shape[1]
    assert reranker._pair_length(msgs, reranker._image_tokens(msgs)) == n


def test_empty_instruction_uses_default_and_keys_on_it(reranker):
    cache = MemCache()
    res = reranker.rank(Query("q", text="shoes"), [Document("d", text="shoes")], "", cache=cache)
    assert res.instruction == config.DEFAULT_INSTRUCTION
    assert next(iter(cache.data)).instruction == config.DEFAULT_INSTRUCTION
    again = reranker.rank(Query("q", text="shoes"), [Document("d", text="shoes")], config.DEFAULT_INSTRUCTION, cache=cache)
    assert again.cache_hits == 1


def test_family_detection_and_prompt_format_layouts():
    from workbench.rerank.prompts import get_format
    from workbench.rerank.qwen_vl import detect_family

    assert detect_family("/m/x", {"model_type": "qwen3_vl"}) == "qwen3-vl"
    assert detect_family("/m/Qwen3-VL-Reranker-8B", {"model_type": "whatever"}) == "qwen3-vl"
    assert detect_family("/m/lychee-rerank-mm", {"model_type": "qwen2_5_vl"}) == "qwen2.5-vl"
    q3 = get_format("qwen3-vl-reranker").with_limits(min_pixels=1, max_pixels=2)
    assert q3.max_length == 8192 and get_format("qwen3-vl-reranker").max_pixels == 1800 * 32 * 32
    m = q3.messages("I", "", None, "", "/x.png")
    texts = [p.get("text") for p in m[1]["content"]]
    assert texts[:3] == ["<Instruct>: I", "<Query>:", "NULL"] and texts[3] == "\n<Document>:"
    assert m[1]["content"][4] == {"type": "image", "image": "/x.png", "min_pixels": 1, "max_pixels": 2}
    v1 = get_format("lychee-v1").with_limits(min_pixels=1, max_pixels=2)
    kinds = [(p["type"], p.get("text", p.get("image"))) for p in v1.messages("I", "t", "/q.png", "d", "/d.png")[1]["content"]]
    assert kinds == [("text", "<Instruct>: I\n<Query>:"), ("image", "/q.png"), ("text", "t"),
                     ("text", "\n<Document>:"), ("image", "/d.png"), ("text", "d")]
    lm = get_format("lychee").messages("I", "t", "/q.png", "d", "/d.png")
    kinds = [(p["type"], p.get("text", p.get("image"))) for p in lm[1]["content"]]
    assert kinds == [("text", "<Instruct>: I"), ("text", "<Query>:"), ("image", "/q.png"), ("text", "t"),
                     ("text", "\n<Document>:"), ("image", "/d.png"), ("text", "d")]
    assert lm[0]["content"][0]["text"] == config.SYSTEM_PROMPT
