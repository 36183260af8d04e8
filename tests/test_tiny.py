"""The tiny checkpoint builder: loads like the real model, deterministic, right wiring."""

from __future__ import annotations

import hashlib
import json

import pytest

from workbench.errors import InputError
from workbench.testing.tiny import SPECIAL_TOKENS, build_tiny_checkpoint, build_tokenizer


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_tokenizer_specials_and_yes_no():
    tok = build_tokenizer()
    ids = [tok.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS]
    assert ids == list(range(ids[0], ids[0] + len(SPECIAL_TOKENS)))  # official order, contiguous
    for word in ("yes", "no"):
        assert len(tok.encode(word, add_special_tokens=False)) == 1
    enc = tok.encode("<|im_start|>user\n无线蓝牙耳机<|im_end|>", add_special_tokens=False)
    assert enc[0] == tok.convert_tokens_to_ids("<|im_start|>")
    assert tok.decode(enc) == "<|im_start|>user\n无线蓝牙耳机<|im_end|>"  # byte-level round trip
    assert type(tok).__name__ == "Qwen2Tokenizer"


def test_checkpoint_loads_through_from_pretrained(tiny_checkpoint):
    from workbench.rerank.qwen_vl.compat import ensure_torchvision

    ensure_torchvision()
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

    cfg = AutoConfig.from_pretrained(tiny_checkpoint)
    proc = AutoProcessor.from_pretrained(tiny_checkpoint)
    tok = proc.tokenizer
    assert cfg.model_type == "qwen2_5_vl"
    assert cfg.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>")
    assert cfg.video_token_id == tok.convert_tokens_to_ids("<|video_pad|>")
    assert cfg.vision_start_token_id == tok.convert_tokens_to_ids("<|vision_start|>")
    assert cfg.vision_config.fullatt_block_indexes == [cfg.vision_config.depth - 1]
    head_dim = cfg.text_config.hidden_size // cfg.text_config.num_attention_heads
    assert sum(cfg.text_config.rope_parameters["mrope_section"]) * 2 == head_dim
    model = AutoModelForImageTextToText.from_pretrained(tiny_checkpoint)
    assert type(model).__name__ == "Qwen2_5_VLForConditionalGeneration"
    assert sum(p.numel() for p in model.parameters()) < 3_000_000
    text = proc.apply_chat_template([{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
                                    tokenize=False, add_generation_prompt=True)
    assert text.endswith("<|im_start|>assistant\n") and "You are a helpful assistant." in text


def test_deterministic(tmp_path, tiny_checkpoint):
    from pathlib import Path

    again = build_tiny_checkpoint(tmp_path / "again")
    first = Path(tiny_checkpoint)
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert _sha(again / name) == _sha(first / name), name


def test_small_size_parameter_count(tmp_path):
    from workbench.rerank.qwen_vl.compat import ensure_torchvision

    ensure_torchvision()
    from safetensors import safe_open

    out = build_tiny_checkpoint(tmp_path / "small", size="small")
    with safe_open(str(out / "model.safetensors"), "pt") as f:
        n = sum(_prod(f.get_slice(k).get_shape()) for k in f.keys())
    assert 15_000_000 < n < 25_000_000
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["text_config"]["hidden_size"] == 512


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def test_bad_size_and_layout(tmp_path):
    with pytest.raises(InputError):
        build_tiny_checkpoint(tmp_path / "x", size="huge")
    with pytest.raises(InputError):
        build_tiny_checkpoint(tmp_path / "x", layout="v3")


def test_compat_is_idempotent():
    from workbench.rerank.qwen_vl.compat import ensure_torchvision

    first = ensure_torchvision()
    assert first in ("native", "patched", "absent")
    assert ensure_torchvision() == first
    import torchvision  # noqa: F401  (must import after the fix)
    import qwen_vl_utils  # noqa: F401


@pytest.mark.parametrize("family", ["qwen2.5-vl", "qwen3-vl"])
def test_tiny_checkpoints_are_servable_by_vllm(family, tiny_checkpoint, tiny_qwen3_checkpoint):
    """vLLM's CPU attention has no kernel for head_dim < 32, and its pooling runner reads
    tie_word_embeddings from text_config (docs/ENVIRONMENT.md): both must hold for every tiny build."""
    from pathlib import Path

    folder = Path(tiny_checkpoint if family == "qwen2.5-vl" else tiny_qwen3_checkpoint)
    cfg = json.loads((folder / "config.json").read_text())
    text = cfg["text_config"]
    head_dim = text.get("head_dim") or text["hidden_size"] // text["num_attention_heads"]
    assert head_dim >= 32
    assert head_dim in (32, 64, 80, 96, 112, 128, 160, 192, 224, 256, 512)
    assert text["tie_word_embeddings"] == cfg["tie_word_embeddings"]
    assert sum(text["rope_parameters"]["mrope_section"]) * 2 == head_dim
