# Sourced by run_workbench.sh, scripts/setup_vllm_venv.sh and scripts/relock: where uv finds
# PyTorch's CPU wheel (torch==2.13.0+cpu, pinned in the locks), and whether a venv fits a lock.
#   - a folder of local wheels (/opt/wheels, or WORKBENCH_WHEELS) is used when it has one;
#   - otherwise PyTorch's CPU index (WORKBENCH_TORCH_INDEX to use a mirror).
UV_TORCH_ARGS=()
_wheels="${WORKBENCH_WHEELS:-/opt/wheels}"
if compgen -G "$_wheels/torch-2.13.0+cpu-*.whl" >/dev/null 2>&1; then
  UV_TORCH_ARGS=(--find-links "$_wheels")
else
  UV_TORCH_ARGS=(--extra-index-url "${WORKBENCH_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
                 --index-strategy unsafe-best-match)
fi
export UV_LINK_MODE="${UV_LINK_MODE:-copy}"   # no hardlink warnings when the cache is elsewhere

# lock_fits PYTHON: the locks are compiled for CPython 3.11 on Linux x86_64 (manylinux_2_28).
lock_fits() {
  "$1" -c 'import platform, sys; sys.exit(not (sys.version_info[:2] == (3, 11) and platform.machine() == "x86_64" and sys.platform == "linux"))'
}
