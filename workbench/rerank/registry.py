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
                           "pip install 'transformers>=4.51' qwen-vl-utils accelerate torch",
                           "Lychee-rerank-mm / Qwen3-VL-Reranker yes/no scorer (P(yes))"),
    "lexical": BackendSpec("lexical", ".lexical", "LexicalReranker", ("bm25s", "jieba"),
                           "pip install bm25s jieba",
                           "BM25 over document text + OCR text (the old TF-IDF logic)"),
    "remote": BackendSpec("remote", ".remote", "RemoteReranker", ("httpx",),
                          "pip install httpx  (or pip install -e '.[serve]')",
                          "a serving engine over HTTP (vLLM, SGLang, `workbench serve`): chat or /v1/rerank"),
}
ALIASES = {"vllm": "remote", "http": "remote", "bm25": "lexical", "lychee": "qwen-vl", "qwen": "qwen-vl", "qwen_vl": "qwen-vl"}


def canonical_name(name: str) -> str:
    key = (name or "").strip().lower()
    key = ALIASES.get(key, key)
    if key not in BACKENDS:
        raise InputError(f"Unknown reranker backend '{name}'.",
                         f"Use one of: {', '.join(sorted(BACKENDS) + sorted(ALIASES))}.")
    return key


def missing_requirements(name: str) -> list[str]:
    spec = BACKENDS[canonical_name(name)]
    return [m for m in spec.requires if importlib.util.find_spec(m) is None]


def available_backends() -> dict[str, bool]:
    """Backend name -> whether its dependencies are installed (no heavy import)."""
    return {name: not missing_requirements(name) for name in BACKENDS}


def get_reranker(name: str, **opts) -> Reranker:
    key = canonical_name(name)
    spec = BACKENDS[key]
    missing = missing_requirements(key)
    if missing:
        raise BackendUnavailable(
            f"The '{key}' backend needs {', '.join(missing)}, which is not installed.", spec.pip)
    try:
        module = importlib.import_module(spec.module, __package__)
    except ImportError as exc:
        raise BackendUnavailable(f"The '{key}' backend could not be imported ({exc}).", spec.pip) from None
    cls = getattr(module, spec.cls)
    opts = {k: v for k, v in opts.items() if v is not None}
    return cls(**opts)
