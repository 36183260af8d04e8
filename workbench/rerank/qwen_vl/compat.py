"""Import-time compatibility fixes for the model stack.

torchvision: where the only torchvision build is a CUDA one sitting next to a
CPU torch (docs/ENVIRONMENT.md), ``import torchvision`` fails with
``RuntimeError: operator torchvision::nms does not exist``: its ``_C`` library
cannot load, and ``_meta_registrations`` then registers fakes for ops that were
never defined. transformers' Qwen-VL video processor and ``qwen_vl_utils`` both
import torchvision, so the processor import breaks with it.

`ensure_torchvision()` defines the two op schemas (``nms`` and ``qnms``) in a
``torch.library`` FRAGMENT *before* torchvision is imported. The image/video
processors only use pure-torch ops, so nothing calls them. Where torchvision's
``_C`` loads (a real GPU machine with a matching build) it does nothing.
Call it before importing the processor or ``qwen_vl_utils``.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import sys

_LIB = None          # keeps the FRAGMENT alive for the life of the process
_STATE: str | None = None

_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)


def _op_exists(name: str) -> bool:
    import torch

    try:
        return torch._C._dispatch_has_kernel(f"torchvision::{name}") or bool(
            torch._C._jit_get_schemas_for_operator(f"torchvision::{name}"))
    except Exception:  # pragma: no cover - private API moved
        return False


def ensure_torchvision() -> str:
    """Make ``import torchvision`` work; return what was done.

    "absent"   torchvision is not installed (nothing to fix),
    "native"   its compiled ops load (or it is already imported): no-op,
    "patched"  the op schemas were registered so the pure-Python parts import.
    """
    global _LIB, _STATE
    if _STATE is not None:
        return _STATE
    if "torchvision" in sys.modules:
        _STATE = "native"
        return _STATE
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.origin:
        _STATE = "absent"
        return _STATE
    import torch

    folder = os.path.dirname(spec.origin)
    libs = glob.glob(os.path.join(folder, "_C*.so")) + glob.glob(os.path.join(folder, "_C*.pyd"))
    loaded = False
    for lib in libs:
        try:
            torch.ops.load_library(lib)
            loaded = True
            break
        except (OSError, RuntimeError):
            continue
    if loaded or all(_op_exists(s.split("(")[0]) for s in _SCHEMAS):
        _STATE = "native"
        return _STATE
    _LIB = torch.library.Library("torchvision", "FRAGMENT")
    for schema in _SCHEMAS:
        if not _op_exists(schema.split("(")[0]):
            _LIB.define(schema)
    _STATE = "patched"
    return _STATE
