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


def test_small_config_runs_and_prints_table(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--config", "small", "--docs", "4",
                           "--reps", "1"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "| docs | modality | naive fixed-8 (s) | ours (s) | speed-up |" in out
    rows = re.findall(r"^\| 4 \| (text|image) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+)x \|$", out, re.M)
    assert sorted(r[0] for r in rows) == ["image", "text"]
    assert all(float(r[1]) > 0 and float(r[2]) > 0 for r in rows)


def test_7b_config_is_the_published_architecture():
    from workbench.rerank.compat import ensure_torchvision

    ensure_torchvision()
    import torch

    from workbench.rerank.tiny import build_tokenizer

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
