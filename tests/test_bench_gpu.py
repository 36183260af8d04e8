"""bench/gpu.py cannot rot: its CPU mode runs end to end, and its 7B config builds the
published architecture (on the meta device: no memory, no GPU needed)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow   # a benchmark smoke test: CI runs it (slow is not deselected)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "gpu.py"


def _module():
    spec = importlib.util.spec_from_file_location("bench_gpu", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_small_config_runs_and_prints_table(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--config", "small", "--docs", "4",
                           "--reps", "1"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "| docs | modality | naive fixed-8 (s) | ours (s) | speed-up |" in out
    rows = re.findall(r"^\| 4 \| (text|image) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+)x \|$", out, re.M)
    assert sorted(r[0] for r in rows) == ["image", "text"]
    assert all(float(r[1]) > 0 and float(r[2]) > 0 for r in rows)
    # the per-job report: docs/s, tokens, FLOP limit and ratio, memory, vision vs LLM shares
    assert re.search(r"FLOP-limit peak: [\d.e+-]+ TFLOP/s \(float32 matmul measured here\)", out)
    jobs = re.findall(r"^\| 4 \| (text|image) \| ([\d.]+) \| ([\d.]+) \| ([\d,]+) \| ([\d,]+) \| "
                      r"([\d.]+) \| ([\d.]+)x \| n/a \(CPU\) \| (\d+)% \| (\d+)% \| (\d+)% \|$", out, re.M)
    assert sorted(j[0] for j in jobs) == ["image", "text"], out
    by = {j[0]: j for j in jobs}
    assert int(by["text"][4].replace(",", "")) == 0 < int(by["image"][4].replace(",", ""))  # vision tokens
    assert by["text"][7] == "0" and int(by["image"][7]) > 0          # no tower time without images
    assert all(int(j[3].replace(",", "")) > 0 and float(j[6]) > 0 for j in jobs)
    assert all(int(j[8]) > 0 for j in jobs)                           # the language model runs


def test_flop_accounting_counts_llm_and_vision(tmp_path):
    """param_counts / job_tokens on the small config: decoder params without embeddings, the
    vision tower's own params, and tokens of full pairs (4 patches per LLM image token)."""
    from workbench.rerank.qwen_vl.compat import ensure_torchvision

    ensure_torchvision()
    import torch
    from transformers import AutoProcessor

    from workbench.model import Document, Query
    from workbench.rerank.qwen_vl import QwenVLReranker
    from workbench.testing.tiny import _config, build_tiny_checkpoint

    gpu = _module()
    ckpt = build_tiny_checkpoint(tmp_path / "tok", size="tiny")
    processor = AutoProcessor.from_pretrained(str(ckpt))
    model = gpu.build_model(_config(processor.tokenizer, "tiny"), "cpu", torch.float32, "sdpa")
    p_llm, p_vis = gpu.param_counts(model)
    total = sum(p.numel() for p in model.parameters())
    emb = model.model.language_model.embed_tokens.weight.numel()
    assert p_llm + p_vis + emb + model.lm_head.weight.numel() == total
    rr = QwenVLReranker.from_loaded(model, processor, model_id="t", device="cpu", dtype="float32")
    docs = gpu.make_docs("image", 3, tmp_path, small=True)
    llm, vis = gpu.job_tokens(rr, Query("q", text="shoes"), docs)
    enc = rr.encode([rr.messages_for(gpu.INSTR, Query("q", text="shoes"), d) for d in docs])
    real = int(enc["attention_mask"].sum())
    assert abs(llm - real) <= 3 * len(docs)                           # full pairs, unpadded
    assert vis == int(enc["image_grid_thw"].prod(-1).sum())          # patches
    assert gpu.job_tokens(rr, Query("q", text="shoes"), [Document("t", text="x")])[1] == 0


def test_7b_config_is_the_published_architecture():
    from workbench.rerank.qwen_vl.compat import ensure_torchvision

    ensure_torchvision()
    import torch

    from workbench.testing.tiny import build_tokenizer

    gpu = _module()
    tok = build_tokenizer()
    model = gpu.build_model(gpu.config_7b(tok), "meta", torch.bfloat16, "sdpa")
    n = sum(p.numel() for p in model.parameters())
    assert 8.2e9 < n < 8.4e9  # Qwen2.5-VL-7B-Instruct: 8.29B parameters
    text = model.config.text_config
    assert (text.hidden_size, text.num_hidden_layers, text.num_key_value_heads) == (3584, 28, 4)
    assert model.lm_head.weight.shape == (152064, 3584)
    assert model.config.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>")
    assert model.model.visual.fullatt_block_indexes == [7, 15, 23, 31]


def test_7b_without_gpu_says_so(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    gpu = _module()
    assert gpu.main(["--config", "7b"]) == 2
