"""Engine performance features on the tiny real checkpoint (no mocks): token-budget batching,
shared-prefix reuse, image decoding through workbench.images, the store's score cache end to
end. Every check is about *correctness*: speed-ups are measured by bench/engine.py."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from workbench.model import CandidateSet, Document, Query
from workbench.rerank import get_reranker, plan_batches
from workbench.rerank.base import padding_waste, rank_order
from workbench.rerank.qwen_vl import default_batching, image_tokens_from_size
from tests.helpers import random_image

INSTR = "Given a user's search query, rank products by visual and textual relevance"


_image = random_image


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    d = tmp_path_factory.mktemp("perf-imgs")
    return {
        "q": _image(d / "q.png", 168, 140, 7),
        "s": _image(d / "s.png", 56, 56, 1),
        "m": _image(d / "m.jpg", 140, 112, 2),
        "w": _image(d / "w.png", 224, 84, 3),
    }


@pytest.fixture(scope="module")
def docs(images):
    return [
        Document("t1", text="red running shoes"),
        Document("i1", image=images["s"]),
        Document("t2", text="Lightweight breathable mesh running shoes in red, " * 4),
        Document("m1", text="无线蓝牙耳机 coffee cup", image=images["m"]),
        Document("i2", image=images["w"]),
        Document("t3", text="red shoes"),          # same first word as t1: a longer common prefix
        Document("t4", text="stainless steel water bottle 750 ml"),
        Document("dup", text="red running shoes"),  # identical to t1: a score tie
    ]


@pytest.fixture(scope="module")
def rr_full(tiny_checkpoint):
    return get_reranker("qwen-vl", model_path=tiny_checkpoint, prefix_reuse=False,
                        batch_size=1)  # one doc per batch: no padding, no prefix sharing


@pytest.fixture(scope="module")
def rr_reuse(tiny_checkpoint):
    return get_reranker("qwen-vl", model_path=tiny_checkpoint, prefix_reuse=True,
                        batch_size=8, token_budget=100_000)




def _query(kind, images):
    if kind == "text":
        return Query("q", text="red running shoes")
    if kind == "image":
        return Query("q", image=images["q"])
    return Query("q", text="red running shoes", image=images["q"])


# ---------------------------------------------------------------- plan_batches (pure)

@pytest.mark.parametrize("seed", range(5))
def test_token_budget_plan_covers_once_and_respects_budget(seed):
    rng = np.random.RandomState(seed)
    lengths = [int(x) for x in rng.choice([30, 60, 120, 400, 900, 1300], size=57)]
    lengths[3] = 5000  # longer than the budget: alone in its batch
    plan = plan_batches(lengths, batch_size=8, token_budget=3000)
    flat = [i for b in plan for i in b]
    assert sorted(flat) == list(range(len(lengths)))           # every doc exactly once
    for b in plan:
        assert 1 <= len(b) <= 8
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 3000
    assert [3] in plan


def test_plan_wastes_less_padding_than_naive_on_mixed_set():
    rng = np.random.RandomState(0)
    # text docs of 40-150 tokens and image docs of 100-1300 tokens, interleaved
    lengths = [int(rng.randint(40, 150)) if i % 2 else int(rng.randint(100, 1300)) for i in range(64)]
    naive = plan_batches(lengths, batch_size=8)
    ours = plan_batches(lengths, batch_size=8, token_budget=4096)
    assert padding_waste(lengths, ours) < 0.10 < padding_waste(lengths, naive)
    # with no per-batch cost the programme may use single-item batches: zero waste
    assert padding_waste(lengths, plan_batches(lengths, 8, token_budget=4096, batch_overhead=0)) == 0
    # a huge per-batch cost packs as few batches as the budget and cap allow
    few = plan_batches(lengths, batch_size=8, token_budget=10**9, batch_overhead=10**9)
    assert len(few) == 8


def test_plan_is_optimal_on_a_small_case():
    # sorted: 100,100,90,90,10,10 with cap 3: [100,100,90] [90,10,10] pads 300+270=570 (+2 calls);
    # [100,100] [90,90] [10,10] pads 200+180+20=400 (+3 calls) is better when a call costs < 170
    lengths = [10, 100, 90, 10, 90, 100]
    plan = plan_batches(lengths, batch_size=3, token_budget=10_000, batch_overhead=50)
    assert sorted(sorted(lengths[i] for i in b) for b in plan) == [[10, 10], [90, 90], [100, 100]]
    plan = plan_batches(lengths, batch_size=3, token_budget=10_000, batch_overhead=500)
    assert len(plan) == 2


def test_fixed_batches_without_budget_keep_input_order():
    assert plan_batches([5, 1, 9, 3, 7], batch_size=2) == [[0, 1], [2, 3], [4]]
    assert plan_batches([], batch_size=2, token_budget=10) == []


def test_default_batching_by_device_and_free_memory():
    assert default_batching("cpu") == (4096, 8, 64)
    small, _, _ = default_batching("cuda", 7 * 2**30)     # 24 GB card after loading the 7B
    big, cap, _ = default_batching("cuda:0", 62 * 2**30)  # 80 GB card after loading the 7B
    assert small == 4096 and big == 32768 and cap == 64
    assert default_batching("cuda", None)[0] == 2048


def test_image_token_estimate_matches_processor(rr_reuse, images):
    from workbench.images import open_rgb

    for key in ("q", "m", "w"):
        im = open_rgb(images[key])
        msgs = rr_reuse.messages_for(INSTR, Query("q", text="x"), Document("d", image=images[key]))
        grid = rr_reuse.encode([msgs])["image_grid_thw"][0].tolist()
        assert rr_reuse.image_tokens(images[key]) == grid[0] * grid[1] * grid[2] // 4 == \
            image_tokens_from_size(im.width, im.height, min_pixels=rr_reuse.min_pixels,
                                   max_pixels=rr_reuse.max_pixels)


def test_cost_estimate_close_to_real_length(rr_reuse, images, docs):
    q = _query("image+text", images)
    costs = rr_reuse._costs(INSTR, q, docs)
    real = [int(rr_reuse.encode([rr_reuse.messages_for(INSTR, q, d)])["input_ids"].shape[1]) for d in docs]
    for c, r in zip(costs, real):
        assert abs(c - r) <= 2  # a BPE merge at the document boundary at most


# ---------------------------------------------------------------- scores never change

@pytest.mark.parametrize("kind", ["text", "image", "image+text"])
def test_prefix_reuse_and_budget_batching_equal_full_recompute(rr_full, rr_reuse, images, docs, kind):
    q = _query(kind, images)
    full = rr_full.rank(q, docs, INSTR)
    before = dict(rr_reuse.stats)
    reuse = rr_reuse.rank(q, docs, INSTR)
    assert rr_reuse.stats["prefix_batches"] > before["prefix_batches"]  # the reuse path really ran
    np.testing.assert_allclose(reuse.scores_in_input_order(), full.scores_in_input_order(),
                               atol=1e-5, rtol=0)
    # ranks follow scores (best first), ties keep input order
    for res in (full, reuse):
        scores = res.scores_in_input_order()
        assert [r.index for r in res] == rank_order(scores)
        assert [r.rank for r in res] == list(range(1, len(docs) + 1))
    # the two identical documents tie exactly and keep input order
    t1, dup = reuse.get("t1"), reuse.get("dup")
    assert t1.score == dup.score and t1.rank < dup.rank


def test_prefix_reused_across_batches_of_one_query(tiny_checkpoint, images, docs):
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint, prefix_reuse=True, batch_size=3,
                      token_budget=100_000)
    ref = get_reranker("qwen-vl", model_path=tiny_checkpoint, prefix_reuse=False, batch_size=3)
    q = _query("image", images)
    got = rr.rank(q, docs, INSTR)
    assert rr.stats["prefix_batches"] >= 2 and rr.stats["prefix_computed"] < rr.stats["prefix_batches"]
    np.testing.assert_allclose(got.scores_in_input_order(),
                               ref.rank(q, docs, INSTR).scores_in_input_order(), atol=1e-5, rtol=0)
    # another query image of the same size must not reuse the stored prefix
    other = _image(images["q"].replace("q.png", "q2.png"), 168, 140, 99)
    n = rr.stats["prefix_computed"]
    a = rr.rank(Query("q", image=other), docs, INSTR).scores_in_input_order()
    b = ref.rank(Query("q", image=other), docs, INSTR).scores_in_input_order()
    assert rr.stats["prefix_computed"] > n
    np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)


def test_prefix_plan_auto_threshold_and_off(tiny_checkpoint, docs):
    q = Query("q", text="red running shoes")
    auto = get_reranker("qwen-vl", model_path=tiny_checkpoint)
    enc = auto.encode([auto.messages_for(INSTR, q, d) for d in docs[:3]])
    P = auto.common_prefix_length(enc, 0)
    assert P > 0
    ids = enc["input_ids"]
    rows = [ids[i, ids.shape[1] - int(enc["attention_mask"][i].sum()):] for i in range(3)]
    assert all((r[:P] == rows[0][:P]).all() for r in rows)            # common ...
    assert not all(len(r) > P and r[P] == rows[0][P] for r in rows)   # ... and longest
    auto.prefix_min_tokens = P + 1
    assert auto.prefix_plan(enc, 0) is None
    auto.prefix_min_tokens = P
    assert auto.prefix_plan(enc, 0) == (P, 0)
    off = get_reranker("qwen-vl", model_path=tiny_checkpoint, prefix_reuse=False)
    assert off.prefix_plan(enc, 0) is None
    assert "prefix_reuse" not in auto.params()  # never part of the cache key


def test_prefix_capped_before_document_image(rr_reuse, images):
    # every document is the same image: tokens agree far into the document image,
    # yet the prefix must stop before the document's <|vision_start|>
    q = _query("image", images)
    same = [Document(f"d{i}", image=images["m"]) for i in range(3)]
    enc = rr_reuse.encode([rr_reuse.messages_for(INSTR, q, d) for d in same])
    P = rr_reuse.common_prefix_length(enc, 1)
    row = enc["input_ids"][0]
    starts = (row == rr_reuse.vision_start_id).nonzero().flatten().tolist()
    assert len(starts) == 2 and P == starts[1]


def test_invalid_prefix_reuse_option(tiny_checkpoint):
    from workbench.errors import WorkbenchError

    with pytest.raises(WorkbenchError) as info:
        get_reranker("qwen-vl", model_path=tiny_checkpoint, prefix_reuse="sometimes")
    assert info.value.fix


def test_pil_input_equals_path_input_for_plain_png(rr_reuse, images):
    """Images go through workbench.images.open_rgb; for a plain RGB PNG/JPEG that changes nothing."""
    import torch
    from qwen_vl_utils import process_vision_info

    q = _query("image+text", images)
    d = Document("d", text="coffee cup", image=images["m"])
    msgs = [rr_reuse.messages_for(INSTR, q, d)]
    ours = rr_reuse.encode(msgs)
    texts = [rr_reuse.processor.apply_chat_template(m, tokenize=False, add_generation_prompt=True)
             for m in msgs]
    ims, _ = process_vision_info(msgs)  # plain paths
    by_path = rr_reuse.processor(text=texts, images=ims, padding=True, padding_side="left",
                                 return_tensors="pt")
    assert torch.equal(ours["input_ids"], by_path["input_ids"])
    assert float((ours["pixel_values"] - by_path["pixel_values"]).abs().max()) <= 1e-6
    with torch.inference_mode():
        a = rr_reuse._p_yes(rr_reuse.model(**ours, logits_to_keep=1).logits[:, -1])
        b = rr_reuse._p_yes(rr_reuse.model(**by_path, logits_to_keep=1).logits[:, -1])
    assert abs(a[0] - b[0]) <= 1e-6


def test_exif_rotated_image_is_upright_for_the_model(rr_reuse, tmp_path):
    """A JPEG stored sideways with an EXIF orientation tag reaches the model upright."""
    arr = (np.random.RandomState(5).rand(84, 168, 3) * 255).astype("uint8")
    upright = tmp_path / "upright.png"
    Image.fromarray(arr).save(upright)
    rotated = Image.fromarray(arr).rotate(90, expand=True)  # stored sideways: 84 wide, 168 high
    exif = Image.Exif()
    exif[0x0112] = 8  # rotate 90 CW to display: undoes the CCW rotation above
    path = tmp_path / "sideways.jpg"
    rotated.save(path, exif=exif, quality=100)
    q = Query("q", text="x")
    grid = rr_reuse.encode([rr_reuse.messages_for(INSTR, q, Document("d", image=str(path)))])
    ref = rr_reuse.encode([rr_reuse.messages_for(INSTR, q, Document("d", image=str(upright)))])
    assert grid["image_grid_thw"].tolist() == ref["image_grid_thw"].tolist()


# ---------------------------------------------------------------- memory: streaming

def test_inputs_built_per_batch(tiny_checkpoint):
    """Processor outputs exist for one batch at a time (no all-docs encode up front)."""
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint, batch_size=4, token_budget=100_000)
    sizes = []
    orig = rr.encode

    def spy(messages):
        sizes.append(len(messages))
        return orig(messages)

    rr.encode = spy
    docs = [Document(f"d{i}", text=f"doc {i} red shoes") for i in range(10)]
    rr.rank(Query("q", text="shoes"), docs, INSTR)
    assert sizes and max(sizes) <= 4 and sum(sizes) == 10


# ---------------------------------------------------------------- the store's score cache, end to end

def _store_with_set(tmp_path, images, docs):
    from workbench.store import Store

    store = Store(tmp_path / "perf.db")
    sess = store.create_session("perf")
    set_id = store.save_candidate_set(sess.id, CandidateSet(query=_query("image+text", images),
                                                            documents=[d for d in docs if d.id != "dup"],
                                                            name="perf set"))
    return store, set_id


def test_rerun_and_added_instruction_compute_only_missing(tmp_path, tiny_checkpoint, images, docs):
    from workbench.service import rerank_many, rerank_set

    store, set_id = _store_with_set(tmp_path, images, docs)
    n = len(store.load_candidate_set(set_id).documents)
    rr = get_reranker("qwen-vl", model_path=tiny_checkpoint)
    scored: list[int] = []
    orig = rr._score_batch

    def counting(instruction, query, batch):
        scored.append(len(batch))
        return orig(instruction, query, batch)

    rr._score_batch = counting
    first = rerank_set(store, set_id, INSTR, rr)
    assert first.status == "done" and (first.cache_hits, first.cache_misses) == (0, n)
    assert sum(scored) == n
    scored.clear()
    again = rerank_set(store, set_id, INSTR, rr)
    assert sum(scored) == 0 and (again.cache_hits, again.cache_misses) == (n, 0)
    assert {s.doc_id: s.score for s in again.scores} == {s.doc_id: s.score for s in first.scores}
    assert again.ranking() == first.ranking()
    # a comparison of the old instruction plus a new one: only the new triples are computed
    runs = rerank_many(store, [set_id], [INSTR, "Given a product image, find similar products"], rr)
    assert sum(scored) == n
    assert [(r.cache_hits, r.cache_misses) for r in runs] == [(n, 0), (0, n)]
    stored = {r.id: r for r in store.list_runs(set_id=set_id)}
    assert (stored[runs[1].id].cache_hits, stored[runs[1].id].cache_misses) == (0, n)
    # cached scores equal a fresh computation with no cache at all
    fresh = rr.rank(store.load_candidate_set(set_id).query, store.load_candidate_set(set_id).documents, INSTR)
    cached = {s.doc_id: s.score for s in again.scores}
    for r in fresh:
        assert abs(cached[r.doc_id] - r.score) <= 1e-5
