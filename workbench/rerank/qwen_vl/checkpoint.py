"""Checkpoint folders: what is missing, which family, which runtime, the revision hash."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

from ... import config
from ...errors import ModelNotFound

def select_runtime(cuda_available: bool, flash_available: bool) -> tuple[str, str, str]:
    """(device, dtype, attn_implementation) for the machine.

    CUDA -> bfloat16 with flash_attention_2 only when flash-attn is importable
    (transformers raises instead of falling back), else sdpa. CPU -> float32 + sdpa.
    """
    if cuda_available:
        return "cuda", "bfloat16", ("flash_attention_2" if flash_available else "sdpa")
    return "cpu", "float32", "sdpa"


def flash_attn_available() -> bool:
    return importlib.util.find_spec("flash_attn") is not None


def missing_model_error(path: str | None = None, detail: str = "", *, reason: str = "") -> ModelNotFound:
    """The model cannot be loaded. `reason` names the case of a local path ("no_config",
    "is_file", "no_folder"); else `detail` is the loader's own words."""
    params = {"model_id": config.DEFAULT_MODEL_ID}
    if not path:
        return ModelNotFound.coded("model.not_configured", params)
    params["path"] = path
    if reason == "no_config":
        return ModelNotFound.coded("model.no_config", params)
    if reason == "is_file":
        return ModelNotFound.coded("model.is_file", params)
    if reason == "no_folder":
        return ModelNotFound.coded("model.no_folder", params)
    if detail:
        return ModelNotFound.coded("model.load_failed", {**params, "detail": detail})
    return ModelNotFound.coded("model.cannot_load", params)


# Files a local checkpoint folder needs besides config.json: any one name of each group.
CHECKPOINT_FILES = {
    "tokenizer": ("tokenizer.json", "vocab.json"),
    "image processor": ("preprocessor_config.json", "processor_config.json"),
    "weights": ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json"),
}


def check_checkpoint_files(folder: Path) -> None:
    """Name the missing pieces of a local checkpoint before transformers fails on them."""
    missing = [f"{what} ({' or '.join(names)})" for what, names in CHECKPOINT_FILES.items()
               if not any((folder / n).is_file() for n in names)
               and not (what == "weights" and any(folder.glob("*.safetensors")))]
    if missing:
        raise ModelNotFound.coded("model.incomplete", {
            "folder": str(folder), "missing": ", no ".join(missing), "model_id": config.DEFAULT_MODEL_ID})


def weights_fingerprint(path: str | os.PathLike) -> str:
    """Cheap revision hash of a local checkpoint: config bytes + weight file names/sizes/mtimes."""
    p = Path(path)
    h = hashlib.sha256()
    for name in ("config.json", "model.safetensors.index.json"):
        f = p / name
        if f.is_file():
            h.update(name.encode())
            h.update(f.read_bytes())
    for f in sorted(p.glob("*.safetensors")) + sorted(p.glob("*.bin")):
        st = f.stat()
        h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:12]


def detect_family(path: str, cfg: dict[str, Any] | None) -> str:
    """"qwen3-vl" for Qwen3-VL configs (or names saying Qwen3-VL-Reranker), else "qwen2.5-vl"."""
    model_type = str((cfg or {}).get("model_type", "")).lower()
    name = str(path).lower()
    if model_type.startswith("qwen3_vl") or "qwen3-vl-reranker" in name or "qwen3_vl" in name:
        return "qwen3-vl"
    return "qwen2.5-vl"


def _looks_like_hub_id(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 2 and all(parts) and not Path(path).exists() and not path.startswith((".", "~"))


def _read_config(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _single_token_id(tok, word: str, path: str) -> int:
    ids = tok.encode(word, add_special_tokens=False)
    if len(ids) != 1:
        raise ModelNotFound.coded("model.not_yes_no", {"path": path, "word": word, "n": len(ids)})
    return ids[0]


