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
the stock forward's *source fingerprint* (its tokens without comments or layout,
``source_fingerprint``) is one this replacement was checked against (``KNOWN_FORWARDS``),
whatever transformers' version number says: a newer release with the same code keeps the
fast path, a changed one falls back and says so (``info["changed"]``, shown by
``workbench doctor``, the Rerank page and the warnings of a run with images;
``WORKBENCH_GROUPED_VISION=force`` tries it anyway); the module-level names
``grouped_forward`` calls (``MODULE_NAMES``) exist, so a rename falls back instead of
failing at call time; the attention implementation is ``sdpa`` or ``eager`` (flash
attention already runs one varlen call per layer; it is left alone, also at call time);
and eval mode (training / dropout goes to the stock path).
"""

from __future__ import annotations

import hashlib
import inspect
import io
import sys
import textwrap
import tokenize
import types
from contextlib import contextmanager
from typing import Any, Iterator

ENV = "WORKBENCH_GROUPED_VISION"
ATTENTION_CLASSES = ("Qwen2_5_VLVisionAttention", "Qwen3VLVisionAttention")
TOWER_CLASSES = ("Qwen2_5_VisionTransformerPretrainedModel", "Qwen3VLVisionModel")
SUPPORTED_ATTN = ("sdpa", "eager")

# Fingerprints (source_fingerprint) of transformers' stock vision-attention forward that
# grouped_forward was checked against (bit-identical tower output, tests/test_vision_attention.py),
# with the releases seen to carry that code. Qwen2.5-VL and Qwen3-VL share it. A release whose
# forward has another fingerprint keeps its own path until the new code is checked and added here
# (docs/ENVIRONMENT.md, "Grouped vision attention").
KNOWN_FORWARDS = {
    "3866da274ce9c6cf": "transformers 5.16.1 – 5.25.0",
}

# Names grouped_forward looks up in the attention class's module at call time, and what each must be.
MODULE_NAMES = {
    "apply_rotary_pos_emb_vision": "a function",
    "eager_attention_forward": "a function",
    "ALL_ATTENTION_FUNCTIONS": "an attention registry with get_interface()",
}

_SKIP_TOKENS = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                tokenize.ENDMARKER}


def source_fingerprint(func) -> str | None:
    """16 hex digits of SHA-256 over the tokens of `func`'s source (decorators included),
    without comments, blank lines or indentation: the same code gives the same fingerprint in
    any release and on any Python; a changed line gives another. None when there is no source."""
    try:
        return _fingerprint_text(inspect.getsource(func))
    except (OSError, TypeError):
        return None


def _fingerprint_text(source: str) -> str | None:
    try:
        tokens = [tok.string for tok in tokenize.generate_tokens(io.StringIO(textwrap.dedent(source)).readline)
                  if tok.type not in _SKIP_TOKENS]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return hashlib.sha256(" ".join(tokens).encode()).hexdigest()[:16]


def _module_problem(cls) -> str:
    """'' when cls's module has every name grouped_forward uses, else which one is not right."""
    mod = sys.modules.get(cls.__module__)
    for name, what in MODULE_NAMES.items():
        value = getattr(mod, name, None)
        ok = (callable(getattr(value, "get_interface", None)) if name == "ALL_ATTENTION_FUNCTIONS"
              else callable(value))
        if not ok:
            return f"{cls.__module__}.{name} is not {what}"
    return ""


def check_class(cls, force: bool = False) -> dict[str, Any]:
    """Can grouped_forward replace `cls.forward`? {"ok", "reason" (a sentence), "what" (the
    code that differs, for messages)}. `force` skips the fingerprint, never the module names
    (without them the replacement would fail at call time)."""
    problem = _module_problem(cls)
    if problem:
        return {"ok": False, "what": problem,
                "reason": (f"{cls.__name__}: {problem} in this transformers version, so the grouped "
                           "vision attention cannot run: its own path is used")}
    return _verdict(cls.__name__, source_fingerprint(cls.forward), force)


def _verdict(cls_name: str, fp: str | None, force: bool) -> dict[str, Any]:
    what = f"{cls_name}.forward, fingerprint {fp}"
    if fp in KNOWN_FORWARDS:
        return {"ok": True, "what": what, "reason": f"{what} ({KNOWN_FORWARDS[fp]})"}
    if force:
        return {"ok": True, "what": what, "reason": f"{what}, not a checked one; used because {ENV}=force"}
    return {"ok": False, "what": what,
            "reason": (f"{cls_name}.forward changed in this transformers version (fingerprint {fp}, not "
                       "one the grouped vision attention was checked against): its own, slower path is used "
                       "for images. Install the locked versions (./run_workbench.sh setup) or set "
                       f"{ENV}=force to try the grouped path anyway")}


# the stock classes, by module (read from source for check_transformers)
_STOCK = (("transformers.models.qwen2_5_vl.modeling_qwen2_5_vl", "Qwen2_5_VLVisionAttention"),
          ("transformers.models.qwen3_vl.modeling_qwen3_vl", "Qwen3VLVisionAttention"))


def _static_check(module: str, cls_name: str, force: bool) -> dict[str, Any] | None:
    """check_class's answer read from the module's source file, without importing it (torch and
    transformers' model code cost seconds to import); None when the module does not exist."""
    import ast
    import importlib.util

    from pathlib import Path

    try:   # the package's folder only: finding the module itself would import its parents (torch)
        spec = importlib.util.find_spec("transformers")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent.joinpath(*module.split(".")[1:]).with_suffix(".py")
    if not path.is_file():
        return None
    src = path.read_text(encoding="utf-8")
    tree = ast.parse(src)
    top: set[str] = set()
    forward = None
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            top.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        elif isinstance(node, ast.Assign):
            top.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if isinstance(node, ast.ClassDef) and node.name == cls_name:
            forward = next((f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "forward"), None)
    missing = [n for n in MODULE_NAMES if n not in top]
    if missing:
        problem = f"{module}.{missing[0]} is not {MODULE_NAMES[missing[0]]}"
        return {"ok": False, "what": problem,
                "reason": f"{cls_name}: {problem} in this transformers version, so the grouped vision "
                          "attention cannot run: its own path is used"}
    if forward is None:
        fp = None
    else:
        lines = src.splitlines(keepends=True)
        start = (forward.decorator_list[0].lineno if forward.decorator_list else forward.lineno) - 1
        fp = _fingerprint_text("".join(lines[start:forward.end_lineno]))
    return _verdict(cls_name, fp, force)


def check_transformers() -> dict[str, Any]:
    """Without a model, and without importing transformers' model code: would the grouped vision
    attention run with the installed transformers? {"ok", "reason", "what", "transformers"} (for
    `workbench doctor` and the app's model panel)."""
    from importlib import metadata

    try:
        version = metadata.version("transformers")
    except metadata.PackageNotFoundError:
        return {"ok": False, "reason": "transformers is not installed", "what": "transformers is not installed",
                "transformers": "missing"}
    force = _env_setting() == "force"
    results = [r for r in (_static_check(m, c, force) for m, c in _STOCK) if r is not None]
    if not results:
        return {"ok": False, "reason": f"transformers {version} has no Qwen2.5-VL model code",
                "what": "no Qwen2.5-VL model code", "transformers": version}
    bad = [r for r in results if not r["ok"]]
    return {"ok": not bad, "reason": "; ".join(r["reason"] for r in bad or results[:1]),
            "what": "; ".join(r["what"] for r in bad or results[:1]), "transformers": version}


def _env_setting() -> str:
    from ... import config

    return config.env(ENV).lower()


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

    Returns {"active": bool, "reason": str, "changed": bool, "towers": [...], "modules": int,
    "transformers": version}. Never raises for an unsupported setup: it keeps (or
    restores) transformers' own path and says why in "reason"; "changed" is True when that is
    because transformers' code is not the one checked (worth telling the analyst: images are
    slower), False when it was asked for or does not apply.
    """
    try:
        import transformers

        version = transformers.__version__
    except ImportError:  # pragma: no cover - the backend needs transformers
        version = "missing"
    info: dict[str, Any] = {"active": False, "reason": "", "changed": False, "towers": [], "modules": 0,
                            "transformers": version}
    uninstall(model)
    env = _env_setting()
    if env in ("0", "false", "off", "no"):
        info["reason"] = f"turned off by {ENV}={env}"
        return info
    if not enabled:
        info["reason"] = "turned off (grouped_vision_attention=False)"
        return info
    towers = _towers(model)
    if not towers:
        info["reason"] = "no Qwen2.5-VL / Qwen3-VL vision tower in this model"
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
        check = check_class(cls, force=env == "force")
        if not check["ok"]:
            info["reason"] = f"transformers {version}: {check['reason']}"
            info["what"] = check["what"]
            info["changed"] = True
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
