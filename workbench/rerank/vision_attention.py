"""Exact grouped-window attention for the Qwen2.5-VL / Qwen3-VL vision towers.

Why: without flash attention, transformers' ``Qwen2_5_VLVisionAttention.forward``
(and ``Qwen3VLVisionAttention.forward``, same code) splits the packed patches by
``cu_seqlens`` and calls the attention function once per window (Qwen2.5-VL: 112-px
windows in 28 of 32 blocks, whole images in blocks 7/15/23/31; Qwen3-VL: whole
images in every block), in a Python loop, with a ``lengths.tolist()`` host sync in
every layer. A 1280x960 image is ~100 windows, so a batch of images is thousands of
tiny kernels per tower forward.

What: windows of the same length are attended in ONE batched call of the same
attention function (sdpa or eager) on a ``(windows, heads, length, head_dim)``
tensor. Each window still attends only to itself, with the same kernel and the same
per-window shapes, so the result is the same (bit-identical in fp32 on CPU: tested
against transformers' own path). The grouping (which windows have which length, as
index tensors on the model's device) is built once per tower forward for each
``cu_seqlens`` tensor (the windowed one and the full-attention one), not per layer;
no layer syncs with the host.

How it is installed (``install(model)``): transformers' attention interface
(``AttentionInterface.register``) cannot do this: the non-flash branch splits the
windows *before* calling the interface, so a registered function would still be
called once per window. So each vision-attention module of THIS model gets its
``forward`` replaced by ``grouped_forward`` (an instance attribute: other models and
the class are untouched), and the tower gets two hooks that open and close the
per-forward grouping cache. ``install(model, enabled=False)`` or the environment
variable ``WORKBENCH_GROUPED_VISION=0`` restores transformers' own path.

Guards (any failing one leaves the stock path and says why in the returned dict):
transformers 5.0 up to the last version checked here (``TESTED_MAX``; newer ones need
``WORKBENCH_GROUPED_VISION=force``), the stock forward's source still has the
per-window loop this replaces, the attention implementation is ``sdpa`` or ``eager``
(flash attention already runs one varlen call per layer; it is left alone, also at
call time), and eval mode (training / dropout goes to the stock path).
"""

from __future__ import annotations

import inspect
import os
import re
import sys
import types
from contextlib import contextmanager
from typing import Any, Iterator

ENV = "WORKBENCH_GROUPED_VISION"
TESTED_MIN = (5, 0)
TESTED_MAX = (5, 24)      # newest transformers whose vision attention was checked against this
ATTENTION_CLASSES = ("Qwen2_5_VLVisionAttention", "Qwen3VLVisionAttention")
TOWER_CLASSES = ("Qwen2_5_VisionTransformerPretrainedModel", "Qwen3VLVisionModel")
SUPPORTED_ATTN = ("sdpa", "eager")

# The lines of the stock forward this replacement reproduces / replaces (whitespace-insensitive).
_FINGERPRINT = (
    "self.qkv(hidden_states).reshape(seq_length,3,self.num_heads,-1).permute(1,0,2,3).unbind(0)",
    "query_states,key_states=apply_rotary_pos_emb_vision(query_states,key_states,cos,sin)",
    "lengths=cu_seqlens[1:]-cu_seqlens[:-1]",
    "torch.split(tensor,lengths.tolist(),dim=2)",
    "attn_output=self.proj(attn_output)",
)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:2])


def _env_setting() -> str:
    return os.environ.get(ENV, "").strip().lower()


class _Group:
    """Windows of one length: `n` windows of `length` tokens, gathered by `index` (device,
    n*length positions) or, when they are consecutive, sliced from `start`."""

    __slots__ = ("length", "n", "index", "start")

    def __init__(self, length: int, n: int, index, start: int | None):
        self.length, self.n, self.index, self.start = length, n, index, start


class TowerState:
    """Per-tower bookkeeping: the grouping cache of the running forward, counters."""

    def __init__(self, tower):
        self.tower_name = type(tower).__name__
        self.handles: list[Any] = []
        self.cache: list[tuple[Any, list[_Group]]] = []   # (cu_seqlens tensor, its groups)
        self.stats = {"tower_forwards": 0, "layers": 0, "windows": 0, "kernel_calls": 0,
                      "groupings": 0, "stock_calls": 0}

    def begin(self, *_):
        self.cache = []
        self.stats["tower_forwards"] += 1

    def end(self, *_):
        self.cache = []

    def groups(self, cu) -> list[_Group]:
        for known, groups in self.cache:
            if known is cu:
                return groups
        groups = _build_groups(cu)
        self.stats["groupings"] += 1
        self.cache.append((cu, groups))   # holds a reference: the id cannot be reused meanwhile
        if len(self.cache) > 4:           # called outside a tower forward: stay bounded
            self.cache.pop(0)
        return groups


def _build_groups(cu) -> list[_Group]:
    """Group the segments of `cu` (cumulative lengths) by length: ONE host read of `cu`,
    index tensors created on cu's device."""
    import torch

    bounds = cu.tolist()
    by_len: dict[int, list[int]] = {}
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b > a:
            by_len.setdefault(b - a, []).append(a)
    groups = []
    for length in sorted(by_len, reverse=True):
        starts = by_len[length]
        n = len(starts)
        if starts[-1] - starts[0] == (n - 1) * length:      # consecutive windows: a view
            groups.append(_Group(length, n, None, starts[0]))
            continue
        idx = (torch.tensor(starts, dtype=torch.long)[:, None] + torch.arange(length)).reshape(-1)
        groups.append(_Group(length, n, idx.to(cu.device, non_blocking=True), None))
    return groups


def grouped_forward(self, hidden_states, cu_seqlens, position_embeddings=None, max_seqlen=None,
                    **kwargs):
    """Drop-in for the vision attention forward: one attention call per distinct window length."""
    state: TowerState | None = getattr(self, "_wb_grouped_state", None)
    impl = getattr(self.config, "_attn_implementation", None) or "eager"
    if state is None or self.training or impl not in SUPPORTED_ATTN or position_embeddings is None:
        if state is not None:
            state.stats["stock_calls"] += 1
        return type(self).forward(self, hidden_states, cu_seqlens, position_embeddings=position_embeddings,
                                  max_seqlen=max_seqlen, **kwargs)
    mod = sys.modules[type(self).__module__]
    seq_length = hidden_states.shape[0]
    query_states, key_states, value_states = (
        self.qkv(hidden_states).reshape(seq_length, 3, self.num_heads, -1).permute(1, 0, 2, 3).unbind(0)
    )
    cos, sin = position_embeddings
    query_states, key_states = mod.apply_rotary_pos_emb_vision(query_states, key_states, cos, sin)
    # (seq, heads, head_dim) each
    attention_interface = mod.ALL_ATTENTION_FUNCTIONS.get_interface(impl, mod.eager_attention_forward)
    groups = state.groups(cu_seqlens)
    heads, dim = query_states.shape[1], query_states.shape[2]
    whole = len(groups) == 1 and groups[0].start == 0 and groups[0].n * groups[0].length == seq_length
    out = None if whole else query_states.new_empty(seq_length, heads, dim)
    for g in groups:
        n, L = g.n, g.length
        if g.index is None:
            s, e = g.start, g.start + n * L
            q, k, v = (t[s:e].view(n, L, heads, dim) for t in (query_states, key_states, value_states))
        else:
            q, k, v = (t.index_select(0, g.index).view(n, L, heads, dim)
                       for t in (query_states, key_states, value_states))
        o = attention_interface(
            self, q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
            attention_mask=None, scaling=self.scaling, dropout=0.0, is_causal=False, **kwargs,
        )[0]                                                   # (n, L, heads, dim)
        if whole:
            out = o.reshape(seq_length, heads, dim)
        elif g.index is None:
            out[g.start:g.start + n * L] = o.reshape(n * L, heads, dim)
        else:
            out.index_copy_(0, g.index, o.reshape(n * L, heads, dim))
    st = state.stats
    st["layers"] += 1
    st["windows"] += sum(g.n for g in groups)
    st["kernel_calls"] += len(groups)
    attn_output = out.reshape(seq_length, -1).contiguous()
    return self.proj(attn_output)


def _source_ok(cls) -> bool:
    try:
        src = re.sub(r"\s+", "", inspect.getsource(cls.forward))
    except (OSError, TypeError):
        return False
    return all(piece in src for piece in _FINGERPRINT)


def _towers(model) -> list[Any]:
    return [m for m in model.modules() if type(m).__name__ in TOWER_CLASSES]


def uninstall(model) -> int:
    """Restore transformers' own vision attention on `model`; returns the modules restored."""
    n = 0
    for m in model.modules():
        if getattr(m, "_wb_grouped_state", None) is not None and type(m).__name__ in ATTENTION_CLASSES:
            m.__dict__.pop("forward", None)
            m._wb_grouped_state = None
            n += 1
        state = m.__dict__.get("_wb_tower_state")
        if state is not None:
            for h in state.handles:
                h.remove()
            state.handles = []
            m._wb_tower_state = None
    return n


def install(model, enabled: bool = True) -> dict[str, Any]:
    """Install (or with enabled=False remove) grouped-window vision attention on `model`.

    Returns {"active": bool, "reason": str, "towers": [...], "modules": int,
    "transformers": version}. Never raises for an unsupported setup: it keeps (or
    restores) transformers' own path and says why in "reason".
    """
    try:
        import transformers

        version = transformers.__version__
    except ImportError:  # pragma: no cover - the backend needs transformers
        version = "missing"
    info: dict[str, Any] = {"active": False, "reason": "", "towers": [], "modules": 0,
                            "transformers": version}
    uninstall(model)
    env = _env_setting()
    if env in ("0", "false", "off", "no"):
        info["reason"] = f"turned off by {ENV}={os.environ.get(ENV)}"
        return info
    if not enabled:
        info["reason"] = "turned off (grouped_vision_attention=False)"
        return info
    towers = _towers(model)
    if not towers:
        info["reason"] = "no Qwen2.5-VL / Qwen3-VL vision tower in this model"
        return info
    v = _version_tuple(version)
    if not (TESTED_MIN <= v <= TESTED_MAX) and env != "force":
        info["reason"] = (f"transformers {version} is outside the checked range "
                          f"{'.'.join(map(str, TESTED_MIN))}-{'.'.join(map(str, TESTED_MAX))}: its own "
                          f"vision attention is used (set {ENV}=force to try the grouped one)")
        return info
    n = 0
    for tower in towers:
        attn_modules = [m for m in tower.modules() if type(m).__name__ in ATTENTION_CLASSES]
        if not attn_modules:
            continue
        cls = type(attn_modules[0])
        impl = getattr(attn_modules[0].config, "_attn_implementation", None) or "eager"
        if impl not in SUPPORTED_ATTN:
            info["reason"] = (f"vision attention '{impl}' is left as it is (flash attention already "
                              "runs one call per layer)" if "flash" in impl else
                              f"vision attention '{impl}' is not sdpa/eager: left as it is")
            continue
        if not _source_ok(cls):
            info["reason"] = (f"{cls.__name__}.forward of transformers {version} is not the per-window "
                              "loop this replaces: its own path is used")
            continue
        state = TowerState(tower)
        state.handles = [tower.register_forward_pre_hook(state.begin),
                         tower.register_forward_hook(state.end)]
        tower._wb_tower_state = state
        for m in attn_modules:
            m._wb_grouped_state = state
            m.forward = types.MethodType(grouped_forward, m)
            n += 1
        info["towers"].append(type(tower).__name__)
    info["modules"] = n
    info["active"] = n > 0
    if n:
        info["reason"] = f"grouped-window attention in {n} vision attention module(s)"
    return info


def tower_stats(model) -> dict[str, int]:
    """Summed counters of the installed towers of `model` (all zero when not installed)."""
    total = {"tower_forwards": 0, "layers": 0, "windows": 0, "kernel_calls": 0, "groupings": 0,
             "stock_calls": 0}
    for m in model.modules():
        state = m.__dict__.get("_wb_tower_state")
        if state is not None:
            for k, v in state.stats.items():
                total[k] += v
    return total


def is_active(model) -> bool:
    return any(m.__dict__.get("_wb_tower_state") is not None for m in model.modules())


@contextmanager
def count_tower_attention_calls(model) -> Iterator[list[int]]:
    """Count the real attention kernel calls (``torch.nn.functional.scaled_dot_product_attention``
    and, for eager attention, the score ``softmax``) made inside the vision tower(s) of `model`,
    whichever path runs (transformers' own or the grouped one). Yields a list that gets one
    count per tower forward. Independent of this module's own counters: it watches torch."""
    import torch
    from torch.overrides import TorchFunctionMode

    counts: list[int] = []
    watched = {torch.nn.functional.scaled_dot_product_attention, torch.nn.functional.softmax}

    class _Count(TorchFunctionMode):
        def __torch_function__(self, func, types_, args=(), kwargs=None):
            if func in watched:
                counts[-1] += 1
            return func(*args, **(kwargs or {}))

    modes: list[Any] = []

    def pre(*_):
        counts.append(0)
        mode = _Count()
        mode.__enter__()
        modes.append(mode)

    def post(*_):
        if modes:
            modes.pop().__exit__(None, None, None)

    towers = [m for m in model.modules() if type(m).__name__ in TOWER_CLASSES]
    handles = [h for t in towers for h in (t.register_forward_pre_hook(pre), t.register_forward_hook(post))]
    try:
        yield counts
    finally:
        for h in handles:
            h.remove()
        while modes:
            modes.pop().__exit__(None, None, None)
