"""Backend name -> reranker class, imported lazily.

`get_reranker("qwen-vl", model_path=..., device=..., dtype=..., batch_size=...,
min_pixels=..., max_pixels=..., max_length=...)`, `get_reranker("lexical")`
(alias "bm25"). A missing optional dependency raises `BackendUnavailable`
whose `fix` is the exact pip install.
"""

from __future__ import annotations

import importlib
import importlib.util

from ..errors import BackendUnavailable, InputError
from .base import Reranker
from .spec import ALIASES, BACKENDS, BackendSpec, spec_of

__all__ = ["ALIASES", "BACKENDS", "BackendSpec", "available_backends", "canonical_name", "check_options",
           "get_reranker", "missing_requirements", "resolve"]


def canonical_name(name: str) -> str:
    """The backend key of a name or alias ("bm25" -> "lexical"); InputError for an unknown one."""
    return spec_of(name).name


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
        url_spec = next(s for s in BACKENDS.values() if s.needs_url)
        return url_spec.name, {**opts, "urls": key}   # a server URL (commas: replicas)
    if not key:
        raise InputError.coded("model.none_named")
    from pathlib import Path

    if Path(key).expanduser().exists() or "/" in key or "\\" in key or key.startswith((".", "~")):
        path_spec = next(s for s in BACKENDS.values() if s.needs_model_path)
        return path_spec.name, {**opts, "model_path": key}   # a folder or hub id: checked on loading
    raise InputError.coded("model.not_backend_or_folder", {
        "key": key, "names": ", ".join(sorted(BACKENDS) + sorted(ALIASES))})


def check_options(key: str, opts: dict) -> dict:
    """The options that were given (None means "not given"), validated against the backend's
    declared options (`spec.BackendSpec.check_options`): an unknown name or a wrong type is an
    InputError listing the valid ones."""
    return spec_of(key).check_options(opts)


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
        lines += [f"        {opt}: {what.help}" for opt, what in spec.options.items()]
    return "\n".join(lines)


get_reranker.__doc__ = (get_reranker.__doc__ or "").replace("{backends}", _backends_help())
