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


BACKENDS: dict[str, BackendSpec] = {
    "qwen-vl": BackendSpec("qwen-vl", ".qwen_vl", "QwenVLReranker",
                           ("torch", "transformers", "qwen_vl_utils"),
                           pip_install("qwen"),
                           "Lychee-rerank-mm / Qwen3-VL-Reranker yes/no scorer (P(yes))"),
    "lexical": BackendSpec("lexical", ".lexical", "LexicalReranker", ("jieba",),
                           pip_install("bm25"),
                           "BM25 over document text + OCR text (the old TF-IDF logic)"),
    "remote": BackendSpec("remote", ".remote", "RemoteReranker", ("httpx",),
                          "pip install 'lychee-workbench[serve]'  (httpx)",
                          "a serving engine over HTTP (vLLM, SGLang, `workbench serve`): chat or /v1/rerank"),
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


def get_reranker(name: str, **opts) -> Reranker:
    """The reranker for `name`: "bm25" (alias of "lexical"), "qwen-vl" (with model_path=…),
    or directly a checkpoint folder / hub id. Options are passed to the backend."""
    key, opts = resolve(name, opts)
    spec = BACKENDS[key]
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
    opts = {k: v for k, v in opts.items() if v is not None}
    return cls(**opts)
