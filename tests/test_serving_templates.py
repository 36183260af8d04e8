"""The chat templates shipped for vLLM's pooling runner render the same tokens as the local
prompt formats (vLLM applies them with transformers' apply_chat_template, as here)."""

from __future__ import annotations

import pytest

from workbench.model import Query
from workbench.rerank.prompts import PRESETS
from workbench.rerank.score_templates import TEMPLATES, render, side_content, template_path

CASES = [  # (query text, query has image, doc text, doc has image, instruction)
    ("red running shoes", False, "Lightweight red running shoes, breathable mesh", False, None),
    ("无线耳机", False, "无线蓝牙耳机 降噪", False, "Given a question, retrieve factual passages that answer it"),
    ("shoes", True, "", True, "custom instruction\nwith a newline"),
    ("", True, "a photo", False, None),
    ("red shoes", False, "", False, None),           # empty document ("NULL" for Qwen3-VL)
    ("  spaced  ", False, "trailing space ", True, None),
]


def _processor(path):
    from workbench.rerank.qwen_vl.compat import ensure_torchvision

    ensure_torchvision()
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(path)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_ends_with_generation_prompt_and_extra_newline(name):
    text = template_path(name).read_text(encoding="utf-8")
    # Jinja drops one trailing newline: "assistant\n" must be followed by one more
    assert text.endswith("<|im_start|>assistant\n\n")


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_renders_the_local_prompt_tokens(name, tiny_checkpoint, tiny_qwen3_checkpoint, tmp_path):
    fmt = PRESETS[name]
    proc = _processor(tiny_qwen3_checkpoint if fmt.family == "qwen3-vl" else tiny_checkpoint)
    tok = proc.tokenizer
    for q_text, q_img, d_text, d_img, instruction in CASES:
        img = str(tmp_path / "x.png")
        messages = fmt.messages(instruction, q_text, img if q_img else None, d_text, img if d_img else None)
        local = proc.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        served = render(tok, name, side_content(q_text, int(q_img)), side_content(d_text, int(d_img)),
                        instruction)
        assert served == local, (name, q_text, d_text)
        assert tok(served, add_special_tokens=False)["input_ids"] == tok(local, add_special_tokens=False)["input_ids"]
        assert served.endswith("<|im_start|>assistant\n")


def test_the_layouts_differ_so_the_test_can_fail(tiny_checkpoint):
    tok = _processor(tiny_checkpoint).tokenizer
    a = render(tok, "lychee", "q", "d")
    b = render(tok, "lychee-v1", "q", "d")
    assert a != b and b.replace("\n<Query>:", "<Query>:") == a


def test_unknown_template_name():
    from workbench.errors import InputError

    with pytest.raises(InputError):
        template_path("nope")
