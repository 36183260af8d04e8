"""Build a randomly initialised Qwen2.5-VL or Qwen3-VL checkpoint for tests, benchmarks and `doctor`.

No download: the tokenizer is a byte-level BPE trained here with `tokenizers`
on a small English + Chinese corpus (Qwen2's pre-tokenizer regex + ByteLevel),
with the Qwen special tokens appended in the official order, wrapped as
`Qwen2Tokenizer`. The config is a shrunken Qwen2.5-VL (same architecture, same
token-id wiring), the processor carries Qwen2.5-VL's real chat template, and
everything is written with `save_pretrained`, so `from_pretrained` loads it
exactly like the real Lychee-rerank-mm weights.

layout="v4" rewrites the files the way transformers 4.x saved them (and the
published Lychee files look): a flat config.json with `rope_scaling`,
`preprocessor_config.json` and `chat_template.json`, no video processor file.

Sizes: "tiny" (~1M params, text hidden 64 x 2 layers, head_dim 32) for tests, "small"
(~19M params, text hidden 512 x 4 layers, head_dim 128) for CPU benchmarks.

Both are servable by vLLM's CPU build: text head_dim >= 32 (its CPU attention has no
kernel below 32) and `tie_word_embeddings` written inside `text_config` as well as at
the top level (vLLM's pooling runner reads it there; transformers 5 writes it only on top).
Building is deterministic (fixed corpus, fixed seed).

family="qwen3-vl" builds the Qwen3-VL-Reranker architecture instead
(`Qwen3VLForConditionalGeneration`, config model_type "qwen3_vl"): the same
tokenizer builder plus Qwen3's extra tokens (<tool_response>, <think>, ...),
vision patch 16 x merge 2 (32-px factor), learned vision position embeddings,
DeepStack visual features injected into the first LLM layers, interleaved
mRoPE, image mean/std 0.5, `Qwen3VLProcessor` with a `Qwen3VLVideoProcessor`
and Qwen3-VL-Instruct's chat template (no default system prompt; the
generation prompt is "<|im_start|>assistant\n"). Only the "current" layout.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import InputError

# Qwen2/Qwen2.5-VL special tokens, in the official order (ids 151643.. in the real vocab).
SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>",
    "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
    "<|repo_name|>", "<|file_sep|>",
]

# Qwen2.5-VL's chat template (chat_template.json of Qwen/Qwen2.5-VL-7B-Instruct).
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture "
    "{{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video "
    "{{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Qwen3's extra added tokens (ids 151665.. in the real vocab; ordinary, not special).
QWEN3_EXTRA_TOKENS = ["<tool_response>", "</tool_response>", "<think>", "</think>"]

# Qwen3-VL-Instruct's chat template (chat_template.json of Qwen/Qwen3-VL-*-Instruct, which the
# Qwen3-VL-Reranker checkpoints ship). Unlike Qwen2.5-VL it adds no default system prompt and
# renders every content list through one macro; the generation prompt is "<|im_start|>assistant\n".
QWEN3_CHAT_TEMPLATE = r"""{%- set image_count = namespace(value=0) %}
{%- set video_count = namespace(value=0) %}
{%- macro render_content(content, do_vision_count) %}
    {%- if content is string %}
        {{- content }}
    {%- else %}
        {%- for item in content %}
            {%- if 'image' in item or 'image_url' in item or item.type == 'image' %}
                {%- if do_vision_count %}
                    {%- set image_count.value = image_count.value + 1 %}
                {%- endif %}
                {%- if add_vision_id %}Picture {{ image_count.value }}: {% endif -%}
                <|vision_start|><|image_pad|><|vision_end|>
            {%- elif 'video' in item or item.type == 'video' %}
                {%- if do_vision_count %}
                    {%- set video_count.value = video_count.value + 1 %}
                {%- endif %}
                {%- if add_vision_id %}Video {{ video_count.value }}: {% endif -%}
                <|vision_start|><|video_pad|><|vision_end|>
            {%- elif 'text' in item %}
                {{- item.text }}
            {%- endif %}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}
{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0].role == 'system' %}
        {{- render_content(messages[0].content, false) + '\n\n' }}
    {%- endif %}
    {{- "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0].role == 'system' %}
        {{- '<|im_start|>system\n' + render_content(messages[0].content, false) + '<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- set content = render_content(message.content, True) %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\n' + content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role + '\n' + content }}
        {%- if message.tool_calls %}
            {%- for tool_call in message.tool_calls %}
                {%- if (loop.first and content) or (not loop.first) %}
                    {{- '\n' }}
                {%- endif %}
                {%- if tool_call.function %}
                    {%- set tool_call = tool_call.function %}
                {%- endif %}
                {{- '<tool_call>\n{"name": "' }}
                {{- tool_call.name }}
                {{- '", "arguments": ' }}
                {%- if tool_call.arguments is string %}
                    {{- tool_call.arguments }}
                {%- else %}
                    {{- tool_call.arguments | tojson }}
                {%- endif %}
                {{- '}\n</tool_call>' }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
"""

QWEN2_PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"""
    r"""\s*[\r\n]+|\s+(?!\S)|\s+"""
)

_EN = (
    "Judge whether the Document meets the requirements based on the Query and the Instruct "
    "provided. Note that the answer can only be \"yes\" or \"no\". yes no yes no Yes No. "
    "<Instruct>: Given a web search query, retrieve relevant passages that answer the query\n"
    "<Query>: red running shoes for women\n<Document>: Lightweight red running shoes, breathable mesh. "
    "Given a user's search query, rank products by visual and textual relevance. "
    "Given a research question, retrieve papers whose abstracts and figures best address the question. "
    "Given a legal case description, retrieve precedent cases with similar facts and rulings. "
    "Given a question, retrieve factual passages that answer it. Be precise and avoid vague terms. "
    "Given a product image and description, retrieve similar products. The quick brown fox jumps over "
    "the lazy dog. A cat sits on the mat. Coffee cup on a wooden table. Astronaut in space suit. "
    "Rocket launch at dawn. Motorcycle parked on the street. Horse running in a field. Price 99.90 USD, "
    "free shipping, 30-day returns. Stainless steel water bottle 750 ml keeps drinks cold for 24 hours. "
    "Wireless bluetooth headphones with noise cancelling and 40 hours battery life. [OCR] [TEXT] "
    "system user assistant image video picture photo description title brand color size material."
)
_ZH = (
    "判断文档是否满足查询和指令的要求。答案只能是是或否。女士红色跑步鞋，轻便透气网面。"
    "给定用户的搜索查询，按视觉和文本相关性对商品排序。不锈钢保温杯，保冷二十四小时。"
    "无线蓝牙耳机，主动降噪，续航四十小时。价格九十九元，包邮，七天无理由退货。"
    "一只猫坐在垫子上。木桌上的咖啡杯。宇航员穿着太空服。黎明时分火箭发射。街上停着一辆摩托车。"
    "在田野里奔跑的马。给定一个问题，检索回答该问题的事实段落。法律案例描述，检索具有相似事实的先例。"
    "新款连衣裙夏季女装，纯棉材质，多种颜色尺码可选。手机壳防摔硅胶，适用于多种型号。"
)

SIZES = {
    # text: hidden, layers, heads, kv heads, intermediate, mrope; vision: hidden, depth, heads
    # tiny: 2 heads of 32 (vLLM's CPU attention needs head_dim >= 32, see docs/ENVIRONMENT.md)
    "tiny": dict(hidden=64, layers=2, heads=2, kv=1, inter=128, mrope=[4, 6, 6],
                 v_hidden=64, v_depth=2, v_heads=4, v_inter=128),
    "small": dict(hidden=512, layers=4, heads=4, kv=2, inter=2048, mrope=[16, 24, 24],
                  v_hidden=64, v_depth=2, v_heads=4, v_inter=128),
}

QWEN3_SIZES = {
    # text: hidden, layers, heads, kv heads, head_dim, intermediate, interleaved mrope (T, H, W)
    # vision: hidden, depth, heads, intermediate, learned position grid, DeepStack layers
    "tiny": dict(hidden=64, layers=2, heads=4, kv=2, head_dim=32, inter=128, mrope=[8, 4, 4],
                 v_hidden=64, v_depth=3, v_heads=4, v_inter=128, v_pos=256, deepstack=[0, 1]),
    "small": dict(hidden=512, layers=4, heads=4, kv=2, head_dim=128, inter=2048, mrope=[24, 20, 20],
                  v_hidden=64, v_depth=3, v_heads=4, v_inter=128, v_pos=256, deepstack=[0, 1]),
}
FAMILIES = ("qwen2.5-vl", "qwen3-vl")

def _corpus() -> list[str]:
    lines = []
    for i in range(40):
        lines.append(_EN)
        lines.append(_ZH)
        lines.append(f"yes no {i} {i * 7} {i * 13}")
    return lines


def build_tokenizer(extra_tokens: tuple[str, ...] | list[str] = ()):
    """Train the byte-level BPE and wrap it as a Qwen2Tokenizer (deterministic).

    `extra_tokens` are added after the special tokens as ordinary (non-special) added
    tokens, as Qwen3 does for <tool_response>, </tool_response>, <think>, </think>."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=3000, min_frequency=2, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[],
    )
    bpe.train_from_iterator(_corpus(), trainer)
    model = json.loads(bpe.to_str())["model"]
    vocab, merges = model["vocab"], model["merges"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in merges]
    tok = Qwen2Tokenizer(vocab=vocab, merges=merges, unk_token=None, eos_token=None,
                         pad_token=None, bos_token=None)
    # specials first (they get the ids after the BPE vocab, in order), then eos / pad
    tok.add_special_tokens({"additional_special_tokens": SPECIAL_TOKENS})
    if extra_tokens:
        tok.add_tokens(list(extra_tokens))
    tok.eos_token = "<|im_end|>"
    tok.pad_token = "<|endoftext|>"
    tok.chat_template = CHAT_TEMPLATE
    for word in ("yes", "no"):
        ids = tok.encode(word, add_special_tokens=False)
        if len(ids) != 1:  # pragma: no cover - corpus guarantees it
            raise RuntimeError(f"tiny tokenizer: '{word}' is not a single token: {ids}")
    return tok


# The vision-tower layout of the real Qwen2.5-VL-7B (and so of Lychee-rerank-mm): 32 blocks, full
# attention in blocks 7/15/23/31, windowed attention (112 px) in the others. At small width it gives
# a CPU-sized checkpoint with the real per-window structure (bench P6, vision-attention tests).
REAL_TOWER = {"vision_depth": 32, "fullatt_block_indexes": (7, 15, 23, 31), "window_size": 112}


def _config(tok, size: str, vision_depth: int | None = None,
            fullatt_block_indexes: tuple[int, ...] | list[int] | None = None, window_size: int = 112):
    from transformers import Qwen2_5_VLConfig

    s = dict(SIZES[size])
    if vision_depth is not None:
        s["v_depth"] = int(vision_depth)
    full = list(fullatt_block_indexes) if fullatt_block_indexes is not None else [s["v_depth"] - 1]
    ids = {t: tok.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    vocab_size = len(tok)
    head_dim = s["hidden"] // s["heads"]
    assert sum(s["mrope"]) * 2 == head_dim, "mrope_section must sum to head_dim/2"
    text = dict(
        vocab_size=vocab_size, hidden_size=s["hidden"], intermediate_size=s["inter"],
        num_hidden_layers=s["layers"], num_attention_heads=s["heads"],
        num_key_value_heads=s["kv"], max_position_embeddings=4096, rms_norm_eps=1e-6,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0,
                         "mrope_section": s["mrope"]},
        bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"], initializer_range=0.02, use_cache=True,
    )
    vision = dict(
        depth=s["v_depth"], hidden_size=s["v_hidden"], intermediate_size=s["v_inter"],
        num_heads=s["v_heads"], in_channels=3, patch_size=14, spatial_merge_size=2,
        temporal_patch_size=2, tokens_per_second=2, window_size=int(window_size),
        out_hidden_size=s["hidden"], fullatt_block_indexes=full,
        initializer_range=0.02,
    )
    return Qwen2_5_VLConfig(
        text_config=text, vision_config=vision,
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False, architectures=["Qwen2_5_VLForConditionalGeneration"],
    )


def _qwen3_config(tok, size: str):
    from transformers import Qwen3VLConfig

    s = QWEN3_SIZES[size]
    ids = {t: tok.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    assert sum(s["mrope"]) * 2 == s["head_dim"], "mrope_section must sum to head_dim/2"
    assert max(s["deepstack"]) < s["v_depth"], "DeepStack layers must exist in the vision tower"
    text = dict(
        vocab_size=len(tok), hidden_size=s["hidden"], intermediate_size=s["inter"],
        num_hidden_layers=s["layers"], num_attention_heads=s["heads"],
        num_key_value_heads=s["kv"], head_dim=s["head_dim"], max_position_embeddings=8192,
        rms_norm_eps=1e-6,
        rope_parameters={"rope_type": "default", "rope_theta": 5000000.0,
                         "mrope_section": s["mrope"], "mrope_interleaved": True},
        pad_token_id=ids["<|endoftext|>"], initializer_range=0.02, use_cache=True,
    )
    vision = dict(
        depth=s["v_depth"], hidden_size=s["v_hidden"], intermediate_size=s["v_inter"],
        num_heads=s["v_heads"], in_channels=3, patch_size=16, spatial_merge_size=2,
        temporal_patch_size=2, out_hidden_size=s["hidden"], num_position_embeddings=s["v_pos"],
        deepstack_visual_indexes=list(s["deepstack"]), initializer_range=0.02,
    )
    return Qwen3VLConfig(
        text_config=text, vision_config=vision,
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False, architectures=["Qwen3VLForConditionalGeneration"],
    )


def _tie_flag_in_text_config(out: Path) -> None:
    """Copy the top-level `tie_word_embeddings` into `text_config` (vLLM's pooling runner
    reads it from there; transformers 5 writes it only at the top level)."""
    path = out / "config.json"
    cfg = json.loads(path.read_text(encoding="utf-8"))
    text = cfg.get("text_config")
    if isinstance(text, dict) and "tie_word_embeddings" in cfg:
        text["tie_word_embeddings"] = cfg["tie_word_embeddings"]
        path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _spread_yes_no(model, tok, seed: int) -> None:
    """Spread the yes/no readout so scores vary visibly across inputs (a random model with
    std 0.02 would put every P(yes) within 1e-3 of 0.5)."""
    import torch

    with torch.no_grad():
        yes, no = tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no")
        gen = torch.Generator().manual_seed(seed + 1)
        w = model.lm_head.weight
        w[yes] = torch.randn(w.shape[1], generator=gen) * 0.1
        w[no] = torch.randn(w.shape[1], generator=gen) * 0.1


def _build_qwen3(out: Path, size: str, seed: int) -> Path:
    import torch
    from transformers import (Qwen2VLImageProcessor, Qwen3VLForConditionalGeneration, Qwen3VLProcessor,
                              Qwen3VLVideoProcessor)

    from ..rerank.prompts import QWEN3_VL_RERANKER

    tok = build_tokenizer(QWEN3_EXTRA_TOKENS)
    tok.chat_template = QWEN3_CHAT_TEMPLATE
    config = _qwen3_config(tok, size)
    torch.manual_seed(seed)
    model = Qwen3VLForConditionalGeneration(config).eval()
    _spread_yes_no(model, tok, seed)
    model.save_pretrained(out, safe_serialization=True)
    _tie_flag_in_text_config(out)
    size_kw = {"shortest_edge": QWEN3_VL_RERANKER.min_pixels, "longest_edge": QWEN3_VL_RERANKER.max_pixels}
    half = [0.5, 0.5, 0.5]
    image_processor = Qwen2VLImageProcessor(size=size_kw, patch_size=16, merge_size=2,
                                            temporal_patch_size=2, image_mean=half, image_std=half)
    video_processor = Qwen3VLVideoProcessor(patch_size=16, merge_size=2, temporal_patch_size=2,
                                            image_mean=half, image_std=half)
    processor = Qwen3VLProcessor(image_processor=image_processor, tokenizer=tok,
                                 video_processor=video_processor, chat_template=QWEN3_CHAT_TEMPLATE)
    processor.save_pretrained(out)
    (out / "TINY_CHECKPOINT.txt").write_text(
        f"Random Qwen3-VL test checkpoint (family=qwen3-vl, size={size}, seed={seed}).\n"
        "Built by `workbench tiny-checkpoint --family qwen3-vl`; scores are meaningless, "
        "the code path is real.\n", encoding="utf-8")
    return out


def build_tiny_checkpoint(directory: str | os.PathLike, size: str = "tiny",
                          layout: str = "current", seed: int = 0,
                          family: str = "qwen2.5-vl", vision_depth: int | None = None,
                          fullatt_block_indexes: tuple[int, ...] | list[int] | None = None,
                          window_size: int = 112) -> Path:
    """Write a random Qwen2.5-VL (Lychee-rerank-mm architecture) or, with family="qwen3-vl",
    Qwen3-VL (Qwen3-VL-Reranker architecture) checkpoint (model + processor) to `directory`.

    Qwen2.5-VL only: `vision_depth`, `fullatt_block_indexes` and `window_size` shape the vision
    tower (defaults: the size's depth, full attention in the last block, 112-px windows);
    ``**REAL_TOWER`` gives the real 7B tower layout (32 blocks, full at 7/15/23/31)."""
    if family not in FAMILIES:
        raise InputError.coded("tiny.unknown_family", {"family": family})
    if size not in SIZES:
        raise InputError.coded("tiny.unknown_size", {"size": size})
    if layout not in ("current", "v4"):
        raise InputError.coded("tiny.unknown_layout", {"layout": layout})
    tower_opts = vision_depth is not None or fullatt_block_indexes is not None or window_size != 112
    if family == "qwen3-vl" and tower_opts:
        raise InputError.coded("tiny.qwen3_has_no_windows")
    if tower_opts:
        depth = int(vision_depth if vision_depth is not None else SIZES[size]["v_depth"])
        full = list(fullatt_block_indexes) if fullatt_block_indexes is not None else [depth - 1]
        if depth < 1 or any(not 0 <= int(i) < depth for i in full) or int(window_size) < 28:
            raise InputError.coded("tiny.bad_tower", {"depth": depth, "full": full, "window": window_size})
    if family == "qwen3-vl" and layout != "current":
        raise InputError.coded("tiny.v4_is_qwen25_only")
    from ..rerank.qwen_vl.compat import ensure_torchvision

    if family == "qwen3-vl":
        ensure_torchvision()
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        return _build_qwen3(out, size, seed)

    ensure_torchvision()
    import torch
    from transformers import (Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor,
                              Qwen2VLImageProcessor, Qwen2VLVideoProcessor)

    from ..config import MAX_PIXELS, MIN_PIXELS

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer()
    config = _config(tok, size, vision_depth, fullatt_block_indexes, window_size)
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    _spread_yes_no(model, tok, seed)
    model.save_pretrained(out, safe_serialization=True)
    _tie_flag_in_text_config(out)
    size_kw = {"shortest_edge": MIN_PIXELS, "longest_edge": MAX_PIXELS}
    image_processor = Qwen2VLImageProcessor(size=size_kw, patch_size=14, merge_size=2,
                                            temporal_patch_size=2)
    video_processor = Qwen2VLVideoProcessor(patch_size=14, merge_size=2, temporal_patch_size=2)
    processor = Qwen2_5_VLProcessor(image_processor=image_processor, tokenizer=tok,
                                    video_processor=video_processor, chat_template=CHAT_TEMPLATE)
    processor.save_pretrained(out)
    if layout == "v4":
        _rewrite_v4(out, config, image_processor)
    (out / "TINY_CHECKPOINT.txt").write_text(
        f"Random Qwen2.5-VL test checkpoint (size={size}, layout={layout}, seed={seed}, vision depth "
        f"{config.vision_config.depth}, full attention at {config.vision_config.fullatt_block_indexes}, "
        f"window {config.vision_config.window_size}).\n"
        "Built by `workbench tiny-checkpoint`; scores are meaningless, the code path is real.\n",
        encoding="utf-8")
    return out


def _rewrite_v4(out: Path, config, image_processor) -> None:
    """Rewrite the saved files in the transformers 4.x layout of the published Lychee files."""
    cfg = json.loads((out / "config.json").read_text(encoding="utf-8"))
    text = cfg.pop("text_config", {})
    vision = cfg.pop("vision_config", {})
    rope = text.pop("rope_parameters", {}) or {}
    flat = {k: v for k, v in cfg.items() if k not in ("transformers_version",)}
    for k, v in text.items():
        if k in ("model_type", "architectures", "id2label", "label2id", "layer_types",
                 "output_hidden_states", "return_dict", "chunk_size_feed_forward",
                 "is_encoder_decoder", "problem_type", "_name_or_path", "output_attentions"):
            continue
        flat.setdefault(k, v)
    flat["rope_theta"] = rope.get("rope_theta", 1000000.0)
    flat["rope_scaling"] = {"type": "mrope", "mrope_section": rope.get("mrope_section")}
    flat["vision_config"] = {k: v for k, v in vision.items() if k not in ("rope_parameters",)}
    flat["model_type"] = "qwen2_5_vl"
    flat["torch_dtype"] = "float32"
    flat.pop("dtype", None)
    flat["transformers_version"] = "4.51.3"
    (out / "config.json").write_text(json.dumps(flat, indent=2), encoding="utf-8")

    # processor: preprocessor_config.json + chat_template.json instead of processor_config.json
    proc_cfg_path = out / "processor_config.json"
    proc_cfg = json.loads(proc_cfg_path.read_text(encoding="utf-8")) if proc_cfg_path.exists() else {}
    image_cfg = proc_cfg.get("image_processor") or image_processor.to_dict()
    from ..config import MAX_PIXELS, MIN_PIXELS

    pre = {
        "min_pixels": MIN_PIXELS, "max_pixels": MAX_PIXELS, "patch_size": 14,
        "temporal_patch_size": 2, "merge_size": 2,
        "image_mean": image_cfg.get("image_mean"), "image_std": image_cfg.get("image_std"),
        "image_processor_type": "Qwen2VLImageProcessor", "processor_class": "Qwen2_5_VLProcessor",
        "do_resize": True, "do_rescale": True, "do_normalize": True, "do_convert_rgb": True,
        "rescale_factor": image_cfg.get("rescale_factor", 1 / 255), "resample": 3,
    }
    (out / "preprocessor_config.json").write_text(json.dumps(pre, indent=2), encoding="utf-8")
    (out / "chat_template.json").write_text(json.dumps({"chat_template": CHAT_TEMPLATE}, indent=2),
                                            encoding="utf-8")
    for name in ("processor_config.json", "video_preprocessor_config.json", "chat_template.jinja"):
        if (out / name).exists():
            (out / name).unlink()
    tc_path = out / "tokenizer_config.json"
    if tc_path.exists():
        tc = json.loads(tc_path.read_text(encoding="utf-8"))
        tc.pop("chat_template", None)
        tc["processor_class"] = "Qwen2_5_VLProcessor"
        tc_path.write_text(json.dumps(tc, indent=2), encoding="utf-8")
