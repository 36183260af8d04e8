"""Qwen3-VL-Reranker as a peer of Lychee-rerank-mm: the real engine path on a tiny random
Qwen3-VL checkpoint (Qwen3VLForConditionalGeneration, DeepStack, patch 16 x merge 2), no mocks.

The reference recipe re-implemented here by hand follows `Qwen3VLReranker` of
QwenLM/Qwen3-VL-Embedding (src/models/qwen3_vl_reranker.py): system prompt, user content
"<Instruct>: " + instruction, "<Query>:", image then text (or "NULL"), "\\n<Document>:",
image then text (or "NULL"); process_vision_info(image_patch_size=16); processor with
do_resize=False; score = sigmoid((W_yes - W_no) . h_last) of the base model's last hidden state.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench import config
from workbench.errors import InputError
from workbench.model import Document, Query
from workbench.rerank import get_reranker
from workbench.rerank.prompts import QWEN3_VL_RERANKER
from workbench.rerank.qwen_vl import detect_family, image_tokens_from_size
from tests.helpers import random_image

INSTR = "Given a user's search query, rank products by visual and textual relevance"

# the reference's constants (Qwen3VLReranker module level)
REF_FACTOR = 16 * 2
REF_MIN_PIXELS = 4 * REF_FACTOR * REF_FACTOR
REF_MAX_PIXELS = 1800 * REF_FACTOR * REF_FACTOR
REF_SYSTEM = ('Judge whether the Document meets the requirements based on the Query and the '
              'Instruct provided. Note that the answer can only be "yes" or "no".')
REF_DEFAULT_INSTRUCTION = "Given a search query, retrieve relevant candidates that answer the query."


_image = random_image


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    d = tmp_path_factory.mktemp("q3imgs")
    return {
        "a": _image(d / "a.png", 64, 48, 1),      # upscaled to the 4-token minimum
        "b": _image(d / "b.png", 200, 160, 2),    # 30 tokens at 32 px (42 at 28 px)
        "c": _image(d / "c.jpg", 96, 130, 3),
    }


@pytest.fixture(scope="module")
def rr(tiny_qwen3_checkpoint):
    return get_reranker("qwen-vl", model_path=tiny_qwen3_checkpoint, prefix_reuse=False)


@pytest.fixture(scope="module")
def docs(images):
    return [
        Document("t-short", text="red running shoes"),
        Document("img", image=images["a"]),
        Document("t-long", text="Lightweight breathable mesh running shoes in red, " * 5 + "size 38"),
        Document("mixed", text="无线蓝牙耳机 coffee cup", image=images["b"]),
        Document("img2", image=images["c"]),
    ]


def reference_scores(path, instruction, query, docs):
    """Independent re-implementation of the Qwen3-VL-Reranker reference, one pair at a time."""
    from workbench.rerank.qwen_vl.compat import ensure_torchvision

    ensure_torchvision()
    import torch
    from qwen_vl_utils import process_vision_info
    from transformers import AutoProcessor, Qwen3VLForConditionalGeneration

    processor = AutoProcessor.from_pretrained(path, padding_side="left")
    lm = Qwen3VLForConditionalGeneration.from_pretrained(path, dtype=torch.float32).eval()
    vocab = processor.tokenizer.get_vocab()
    w = lm.lm_head.weight.data
    head = (w[vocab["yes"]] - w[vocab["no"]]).float()

    def content(text, image, prefix):
        parts = [{"type": "text", "text": prefix}]
        if not text and not image:
            return parts + [{"type": "text", "text": "NULL"}]
        if image:
            parts.append({"type": "image", "image": "file://" + image,
                          "min_pixels": REF_MIN_PIXELS, "max_pixels": REF_MAX_PIXELS})
        if text:
            parts.append({"type": "text", "text": text})
        return parts

    out = []
    for doc in docs:
        user = [{"type": "text", "text": "<Instruct>: " + instruction}]
        user += content(query.text, query.image, "<Query>:")
        user += content(doc.ranking_text, doc.image, "\n<Document>:")
        pair = [{"role": "system", "content": [{"type": "text", "text": REF_SYSTEM}]},
                {"role": "user", "content": user}]
        text = processor.apply_chat_template([pair], tokenize=False, add_generation_prompt=True)
        ims, vids = process_vision_info([pair], image_patch_size=16)
        inputs = processor(text=text, images=ims, videos=vids, truncation=False, padding=False,
                           do_resize=False, return_tensors="pt")
        with torch.no_grad():
            h = lm.model(**inputs).last_hidden_state[:, -1].float()
        out.append(torch.sigmoid(h @ head).item())
    return out


# ---- the checkpoint ----

def test_tiny_qwen3_checkpoint_loads_like_the_real_one(tiny_qwen3_checkpoint):
    from workbench.rerank.qwen_vl.compat import ensure_torchvision

    ensure_torchvision()
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

    cfg = AutoConfig.from_pretrained(tiny_qwen3_checkpoint)
    proc = AutoProcessor.from_pretrained(tiny_qwen3_checkpoint)
    tok = proc.tokenizer
    assert cfg.model_type == "qwen3_vl" and type(proc).__name__ == "Qwen3VLProcessor"
    assert cfg.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>")
    assert cfg.vision_start_token_id == tok.convert_tokens_to_ids("<|vision_start|>")
    assert cfg.vision_config.patch_size == 16 and cfg.vision_config.spatial_merge_size == 2
    assert proc.image_processor.patch_size == 16 and proc.image_processor.merge_size == 2
    assert 0 < len(cfg.vision_config.deepstack_visual_indexes) <= cfg.text_config.num_hidden_layers
    rope = cfg.text_config.rope_parameters
    assert sum(rope["mrope_section"]) * 2 == cfg.text_config.head_dim and rope["mrope_interleaved"]
    for t in ("<think>", "</think>", "<tool_response>"):
        assert len(tok.encode(t, add_special_tokens=False)) == 1
    model = AutoModelForImageTextToText.from_pretrained(tiny_qwen3_checkpoint)
    assert type(model).__name__ == "Qwen3VLForConditionalGeneration"
    assert sum(p.numel() for p in model.parameters()) < 3_000_000
    # Qwen3-VL-Instruct template: no default system prompt, plain generation prompt
    text = proc.apply_chat_template([{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
                                    tokenize=False, add_generation_prompt=True)
    assert text == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_builder_rejects_bad_family_and_v4_layout(tmp_path):
    from workbench.cli import main
    from workbench.testing.tiny import build_tiny_checkpoint

    with pytest.raises(InputError) as e:
        build_tiny_checkpoint(tmp_path / "x", family="qwen4")
    assert "--family" in e.value.fix
    with pytest.raises(InputError):
        build_tiny_checkpoint(tmp_path / "y", family="qwen3-vl", layout="v4")
    assert main(["tiny-checkpoint", str(tmp_path / "z"), "--family", "qwen3-vl", "--layout", "v4"]) != 0
    assert not (tmp_path / "z").exists()  # refused before anything was written


# ---- family detection, defaults, prompt ----

def test_family_detection_and_reference_defaults(rr):
    assert rr.family == "qwen3-vl" and rr.format.name == "qwen3-vl-reranker"
    assert detect_family("/m/any", {"model_type": "qwen3_vl"}) == "qwen3-vl"
    assert detect_family("/m/lychee", {"model_type": "qwen2_5_vl"}) == "qwen2.5-vl"
    assert rr.default_instruction == REF_DEFAULT_INSTRUCTION
    assert (rr.min_pixels, rr.max_pixels) == (REF_MIN_PIXELS, REF_MAX_PIXELS)
    assert rr.max_length == QWEN3_VL_RERANKER.max_length == 8192
    assert rr.image_patch_size == 16
    assert rr.params()["prompt"] == "qwen3-vl-reranker"
    assert type(rr.model).__name__ == "Qwen3VLForConditionalGeneration"


def test_prompt_text_is_the_reference_layout(rr, images):
    render = lambda m: rr.processor.apply_chat_template(m, tokenize=False, add_generation_prompt=True)  # noqa: E731
    head = f"<|im_start|>system\n{REF_SYSTEM}<|im_end|>\n<|im_start|>user\n"
    tail = "<|im_end|>\n<|im_start|>assistant\n"
    vis = "<|vision_start|><|image_pad|><|vision_end|>"
    got = render(rr.messages_for("", Query("q", text="red shoes"), Document("d", text="")))
    assert got == f"{head}<Instruct>: {REF_DEFAULT_INSTRUCTION}<Query>:red shoes\n<Document>:NULL{tail}"
    got = render(rr.messages_for(INSTR, Query("q", text="shoe", image=images["a"]),
                                 Document("d", text="red", image=images["b"])))
    assert got == f"{head}<Instruct>: {INSTR}<Query>:{vis}shoe\n<Document>:{vis}red{tail}"
    assert config.SYSTEM_PROMPT == REF_SYSTEM


# ---- scoring ----

@pytest.mark.parametrize("query_kind,doc_kind", [("text", "text"), ("text", "image"),
                                                 ("image", "text"), ("both", "both")])
def test_four_modality_pairs(rr, images, query_kind, doc_kind):
    q = Query("q", text=None if query_kind == "image" else "red running shoes",
              image=images["c"] if query_kind != "text" else None)
    d = Document("d", text=None if doc_kind == "image" else "mesh running shoes in red",
                 image=images["b"] if doc_kind != "text" else None)
    score = rr.rank(q, [d], INSTR)[0].score
    assert math.isfinite(score) and 0 < score < 1


def test_matches_independent_reference_recipe(rr, tiny_qwen3_checkpoint, images, docs):
    q = Query("q", text="red running shoes", image=images["c"])
    got = rr.rank(q, docs, INSTR).scores_in_input_order()
    ref = reference_scores(tiny_qwen3_checkpoint, INSTR, q, docs)
    np.testing.assert_allclose(got, ref, atol=1e-5, rtol=0)
    assert max(ref) - min(ref) > 1e-4  # the checkpoint really discriminates inputs
    # the default instruction and "NULL" for an empty document, too
    empty = [Document("e", text="")]
    np.testing.assert_allclose(rr.rank(Query("q", text="shoes"), empty, "").scores_in_input_order(),
                               reference_scores(tiny_qwen3_checkpoint, REF_DEFAULT_INSTRUCTION,
                                                Query("q", text="shoes"), empty), atol=1e-5, rtol=0)


def test_alone_equals_padded_mixed_batch(tiny_qwen3_checkpoint, docs):
    rr = get_reranker("qwen-vl", model_path=tiny_qwen3_checkpoint, batch_size=len(docs),
                      token_budget=100_000, prefix_reuse=False)
    rr.batch_overhead = 10**6  # a call costs more than any padding: one batch of all five
    q = Query("q", text="red running shoes")
    batched = rr.rank(q, docs, INSTR).scores_in_input_order()
    assert rr.stats["full_batches"] == 1  # one padded batch of all five
    alone = [rr.rank(q, [d], INSTR).scores_in_input_order()[0] for d in docs]
    np.testing.assert_allclose(batched, alone, atol=1e-5, rtol=0)
    enc = rr.encode([rr.messages_for(INSTR, q, d) for d in docs])
    lengths = enc["attention_mask"].sum(1).tolist()
    assert len(set(lengths)) > 1 and enc["attention_mask"][:, -1].all()  # left padded


def test_shared_prefix_reuse_equals_plain_path(tiny_qwen3_checkpoint, rr, images, docs):
    reuse = get_reranker("qwen-vl", model_path=tiny_qwen3_checkpoint, prefix_reuse=True,
                         prefix_min_tokens=1, batch_size=len(docs), token_budget=100_000)
    reuse.batch_overhead = 10**6  # one batch per query
    for q in (Query("q1", text="red running shoes"),
              Query("q2", text="shoe", image=images["c"]),     # query image inside the prefix
              Query("q3", image=images["b"])):
        plain = rr.rank(q, docs, INSTR).scores_in_input_order()
        shared = reuse.rank(q, docs, INSTR).scores_in_input_order()
        np.testing.assert_allclose(shared, plain, atol=1e-5, rtol=0)
    assert reuse.stats["prefix_batches"] == 3 and reuse.stats["full_batches"] == 0
    assert reuse.stats["prefix_computed"] == 3


def test_image_tokens_use_32px_factor(rr, images):
    from qwen_vl_utils import smart_resize

    pad = rr.processor.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    for key, (w, h) in (("a", (64, 48)), ("b", (200, 160)), ("c", (96, 130))):
        msgs = rr.messages_for(INSTR, Query("q", text="x"), Document("d", image=images[key]))
        real = int((rr.encode([msgs])["input_ids"][0] == pad).sum())
        assert rr.image_tokens(images[key]) == real
        rh, rw = smart_resize(h, w, factor=32, min_pixels=REF_MIN_PIXELS, max_pixels=REF_MAX_PIXELS)
        assert real == (rh // 32) * (rw // 32)
    # a 28-px (Qwen2.5-VL) estimate would be wrong for this image
    assert image_tokens_from_size(200, 160, min_pixels=REF_MIN_PIXELS, max_pixels=REF_MAX_PIXELS,
                                  patch=14) != rr.image_tokens(images["b"])


def test_length_estimates_match_processor(rr, images, docs):
    q = Query("q", text="red running shoes", image=images["c"])
    msgs = [rr.messages_for(INSTR, q, d) for d in docs]
    enc = rr.encode(msgs)
    real = enc["attention_mask"].sum(1).tolist()
    for m, n in zip(msgs, real):
        assert rr._pair_length(m, rr._image_tokens(m)) == n
    # the batch planner's estimates (no templating per doc; "NULL" only for an empty document)
    every = docs + [Document("empty", text="")]
    real = [rr._pair_length(m, rr._image_tokens(m)) for m in (rr.messages_for(INSTR, q, d) for d in every)]
    costs = rr._costs(INSTR, q, every)
    assert all(abs(c - n) <= 1 for c, n in zip(costs, real)), (costs, real)  # a BPE merge at most


def test_truncation_keeps_generation_prompt(tiny_qwen3_checkpoint, images):
    rr = get_reranker("qwen-vl", model_path=tiny_qwen3_checkpoint, max_length=150, prefix_reuse=False)
    q = Query("q", text="red running shoes")
    long_doc = Document("too-long", text="breathable mesh running shoes, red. " * 200, image=images["b"])
    short = Document("short", text="red shoes")
    res = rr.rank(q, [short, long_doc], INSTR)
    assert any("too-long" in w and "truncated" in w for w in res.warnings)
    assert not any("'short'" in w for w in res.warnings)
    enc = rr.encode([rr._fit(INSTR, q, long_doc)])
    ids = enc["input_ids"][0].tolist()
    assert 150 - 10 < len(ids) <= 150  # cut to fit, not emptied
    text = rr.processor.tokenizer.decode(ids)
    assert text.endswith("<|im_end|>\n<|im_start|>assistant\n")  # the generation prompt survived
    doc_part = text.split("\n<Document>:")[1].split("<|vision_end|>")[1]
    assert doc_part.startswith("breathable mesh") and text.count("<|im_end|>") == 2  # text was cut
    assert 0 < res.get("too-long").score < 1


def test_cache_keys_differ_from_lychee(tiny_qwen3_checkpoint, tiny_checkpoint, rr, docs):
    from workbench.store import Store

    lychee = get_reranker("qwen-vl", model_path=tiny_checkpoint)
    assert lychee.family == "qwen2.5-vl" and lychee.format.name == "lychee"
    q = Query("q", text="red running shoes")
    k3, kl = rr.cache_key(INSTR, q, docs[0]), lychee.cache_key(INSTR, q, docs[0])
    assert k3 != kl and k3.params != kl.params and k3.model_id != kl.model_id
    assert (k3.query_hash, k3.doc_hash, k3.instruction) == (kl.query_hash, kl.doc_hash, kl.instruction)
    store = Store()
    first = rr.rank(q, docs, INSTR, cache=store)
    assert first.cache_misses == len(docs)
    assert rr.rank(q, docs, INSTR, cache=store).cache_hits == len(docs)
    other = lychee.rank(q, docs, INSTR, cache=store)
    assert other.cache_hits == 0  # never served Qwen3-VL scores
    assert other.scores_in_input_order() != first.scores_in_input_order()
