"""Backend name -> reranker class, imported lazily.

`get_reranker("qwen-vl", model_path=..., device=..., dtype=..., batch_size=...,
min_pixels=..., max_pixels=..., max_length=...)`, `get_reranker("lexical")`
(alias "bm25"). A missing optional dependency raises `BackendUnavailable`
whose `fix` is the exact pip install.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from ..errors import BackendUnavailable, InputError
from ..extras import pip_install
from .base import Reranker


@dataclass(frozen=True)
class BackendSpec:
    name: str
    module: str                 # relative to workbench.rerank
    cls: str
    requires: tuple[str, ...]   # importable module names
    pip: str                    # what to install when one is missing
    description: str
    options: dict[str, str]     # keyword options the backend takes -> what each does


_QWEN_OPTIONS = {
    "model_path": "checkpoint folder (or hub id) of Lychee-rerank-mm / Qwen3-VL-Reranker; default $WORKBENCH_MODEL",
    "device": "'cuda', 'cuda:1' or 'cpu' (default: the GPU when there is one)",
    "dtype": "'bfloat16', 'float16', 'float32' or a torch.dtype (default: by device)",
    "batch_size": "max pairs per forward pass",
    "min_pixels": "smallest image size after resizing (default 4*28*28)",
    "max_pixels": "largest image size after resizing (default 1280*28*28)",
    "max_length": "token limit of one pair (default 3200)",
    "attn_implementation": "'sdpa', 'flash_attention_2' or 'eager' (default: by capability)",
    "default_instruction": "instruction used when a call gives none",
    "token_budget": "max padded tokens per batch",
    "prefix_reuse": "'auto', True or False: reuse the shared query prefix across a batch",
    "prefix_min_tokens": "shortest shared prefix worth reusing",
    "prompt_format": "'lychee', 'lychee-v1', 'qwen3-vl-reranker', … (default: by checkpoint)",
    "grouped_vision_attention": "batch the vision encoder's attention (default True)",
    "prefetch": "prepare the next batch while one is scored (default True)",
}
_LEXICAL_OPTIONS = {
    "k1": "BM25 term-frequency saturation (default 1.5)",
    "b": "BM25 length normalisation (default 0.75)",
    "batch_size": "documents per progress step",
}
_REMOTE_OPTIONS = {
    "urls": "server URL, or several (a list or commas) for replicas",
    "protocol": "'auto', 'chat' or 'rerank'",
    "api_key": "bearer token (default $WORKBENCH_API_KEY)",
    "served_model": "model name on the server (default: its only model)",
    "tokenizer": "local tokenizer folder, for token counts",
    "prompt_format": "prompt layout sent in chat mode (default: by served model)",
    "max_inflight": "requests in flight per server",
    "timeout": "seconds per request",
    "retries": "retries of a failed request",
    "max_failures": "failures in a row before a replica is taken out of rotation",
    "min_pixels": "smallest image size after resizing",
    "max_pixels": "largest image size after resizing",
    "default_instruction": "instruction used when a call gives none",
    "docs_per_request": "documents per /rerank request",
}


BACKENDS: dict[str, BackendSpec] = {
    "qwen-vl": BackendSpec("qwen-vl", ".qwen_vl", "QwenVLReranker",
                           ("torch", "transformers", "qwen_vl_utils"),
                           pip_install("qwen"),
                           "Lychee-rerank-mm / Qwen3-VL-Reranker yes/no scorer (P(yes))", _QWEN_OPTIONS),
    "lexical": BackendSpec("lexical", ".lexical", "LexicalReranker", ("jieba",),
                           pip_install("bm25"),
                           "BM25 over document text + OCR text (the old TF-IDF logic)", _LEXICAL_OPTIONS),
    "remote": BackendSpec("remote", ".remote", "RemoteReranker", ("httpx",),
                          "pip install 'lychee-workbench[serve]'  (httpx)",
                          "a serving engine over HTTP (vLLM, SGLang, `workbench serve`): chat or /v1/rerank",
                          _REMOTE_OPTIONS),
}
ALIASES = {"vllm": "remote", "http": "remote", "bm25": "lexical", "lychee": "qwen-vl", "qwen": "qwen-vl", "qwen_vl": "qwen-vl"}


def canonical_name(name: str) -> str:
    key = (name or "").strip().lower()
    key = ALIASES.get(key, key)
    if key not in BACKENDS:
        raise InputError.coded("backend.unknown", {
            "name": name, "names": ", ".join(sorted(BACKENDS) + sorted(ALIASES))})
    return key


def missing_requirements(name: str) -> list[str]:
    spec = BACKENDS[canonical_name(name)]
    return [m for m in spec.requires if importlib.util.find_spec(m) is None]


def available_backends() -> dict[str, bool]:
    """Backend name -> whether its dependencies are installed (no heavy import)."""
    return {name: not missing_requirements(name) for name in BACKENDS}


def resolve(name: str, opts: dict) -> tuple[str, dict]:
    """(backend key, options) for what a user typed as the model: a backend name or alias
    ("bm25", "qwen-vl"), else a local checkpoint folder or hub id (the qwen-vl backend)."""
    key = (name or "").strip()
    if key.lower() in BACKENDS or key.lower() in ALIASES:
        return canonical_name(key), opts
    if key.lower().startswith(("http://", "https://")):
        return "remote", {**opts, "urls": key}   # a server URL (commas: replicas)
    if not key:
        raise InputError.coded("model.none_named")
    from pathlib import Path

    if Path(key).expanduser().exists() or "/" in key or "\\" in key or key.startswith((".", "~")):
        return "qwen-vl", {**opts, "model_path": key}   # a folder or hub id: checked on loading
    raise InputError.coded("model.not_backend_or_folder", {
        "key": key, "names": ", ".join(sorted(BACKENDS) + sorted(ALIASES))})


def check_options(key: str, opts: dict) -> dict:
    """The options that were given (None means "not given"), or InputError naming each one the
    backend does not take, with the valid names."""
    spec = BACKENDS[canonical_name(key)]
    given = {k: v for k, v in opts.items() if v is not None}
    unknown = sorted(set(given) - set(spec.options))
    if unknown:
        raise InputError.coded("backend.unknown_options", {
            "key": spec.name, "options": ", ".join(unknown), "valid": ", ".join(spec.options)})
    return given


def get_reranker(name: str, **opts) -> Reranker:
    """The reranker for `name`: a backend name or alias, a checkpoint folder / hub id (the
    qwen-vl backend) or a server URL (the remote backend), with that backend's options.
    An option the backend does not take raises InputError listing the valid ones.

    Backends and their options:
    {backends}
    """
    key, opts = resolve(name, opts)
    spec = BACKENDS[key]
    opts = check_options(key, opts)
    missing = missing_requirements(key)
    if missing:
        raise BackendUnavailable.coded("backend.missing_packages", {
            "key": key, "packages": ", ".join(missing), "pip": spec.pip})
    try:
        module = importlib.import_module(spec.module, __package__)
    except ImportError as exc:
        raise BackendUnavailable.coded("backend.import_failed", {
            "key": key, "detail": str(exc), "pip": spec.pip}) from None
    cls = getattr(module, spec.cls)
    return cls(**opts)


def _backends_help() -> str:
    aliases = {}
    for alias, key in ALIASES.items():
        aliases.setdefault(key, []).append(alias)
    lines = []
    for spec in BACKENDS.values():
        also = f" (also: {', '.join(sorted(aliases.get(spec.name, [])))})" if aliases.get(spec.name) else ""
        lines.append(f"\n    {spec.name!r}{also}: {spec.description}")
        lines += [f"        {opt}: {what}" for opt, what in spec.options.items()]
    return "\n".join(lines)


get_reranker.__doc__ = (get_reranker.__doc__ or "").replace("{backends}", _backends_help())
