#!/usr/bin/env bash
# One command for everything.
#   ./run_workbench.sh          set up (system packages, .venv, db with samples) and start the app
#   ./run_workbench.sh test     same setup, then run the full test suite (real browser included)
#   ./run_workbench.sh [app] --server.port 8640   extra arguments go to `streamlit run`
# Re-running is fast: each step is skipped when it is already done.
set -euo pipefail
cd "$(dirname "$0")"

MODE="app"
case "${1:-}" in
  app|test|setup) MODE="$1"; shift ;;
  ""|-*) ;;                                   # no mode: the app, with any --streamlit options
  *) echo "usage: ./run_workbench.sh [app|test|setup] [options]" >&2
     echo "       (app options go to streamlit run, e.g. --server.port 8640)" >&2; exit 64 ;;
esac

say() { printf '\033[1m[workbench]\033[0m %s\n' "$*"; }

# ---------------------------------------------------------------- system packages
need_pkgs=()
command -v tesseract >/dev/null 2>&1 || need_pkgs+=(tesseract-ocr)
if ! command -v tesseract >/dev/null 2>&1 || ! tesseract --list-langs 2>/dev/null | grep -qx chi_sim; then
  need_pkgs+=(tesseract-ocr-chi-sim)
fi
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need_pkgs+=(fonts-wqy-microhei)
if [ "$MODE" = test ] && [ ! -x /usr/bin/chromium ]; then need_pkgs+=(chromium); fi
# PostgreSQL's server, for the tests only: they start a throwaway cluster in a temp folder
# (tests/pg.py). The app reaches a team's server through psycopg's wheel and needs no package.
if [ "$MODE" = test ] && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then need_pkgs+=(postgresql); fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then need_pkgs+=(python3-venv); fi

if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing system packages: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Debian's postgresql package creates a "main" cluster and starts it as a service: a
    # policy-rc.d that says no keeps it from starting, and the new, empty cluster is dropped,
    # so no server is left running or enabled (the tests run their own in a temp folder).
    pg_policy="" pg_before=""
    if [[ " ${need_pkgs[*]} " == *" postgresql "* ]]; then
      pg_before="$(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}' | tr '\n' ' ' || true)"
      if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
        pg_policy=/usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT       # also when the install fails
      fi
    fi
    apt-get install -y -q "${need_pkgs[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && apt-get install -y -q "${need_pkgs[@]}" >/dev/null; }
    if [[ " ${need_pkgs[*]} " == *" postgresql "* ]]; then
      [ -z "$pg_policy" ] || { rm -f "$pg_policy"; trap - EXIT; }
      for c in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do
        case " $pg_before " in *" $c "*) ;; *) pg_dropcluster --stop "${c%/*}" "${c#*/}" || true ;; esac
      done
    fi
  else
    say "missing system packages: ${need_pkgs[*]}"
    say "install them with:  sudo apt-get install -y ${need_pkgs[*]}"
    if [[ " ${need_pkgs[*]} " == *" python3-venv "* ]]; then
      say "python3-venv is needed to create .venv: install it, then run this again"; exit 1
    fi
    say "continuing: OCR (and the browser and PostgreSQL tests) stay unavailable until they are installed"
  fi
fi

# ---------------------------------------------------------------- python environment
# .venv installs from a lock (requirements/*.lock: exact versions and hashes, compiled from
# pyproject.toml by scripts/relock), so a fresh clone gets exactly what CI tested, whatever
# upstream released since. uv installs it (several times faster than pip); uv itself is pinned
# in the lock and bootstrapped with pip once.
PY="${PYTHON:-python3}"
LOCK="requirements/${WORKBENCH_LOCK:-cpu}.lock"      # WORKBENCH_LOCK=cuda on a GPU machine
[ -f "$LOCK" ] || { echo "WORKBENCH_LOCK=${WORKBENCH_LOCK:-} names no lock: use cpu or cuda (requirements/*.lock)" >&2; exit 64; }
UV_VERSION="$(sed -n 's/^uv==\([0-9.]*\).*/\1/p' "$LOCK")"
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
# shellcheck source=scripts/lockenv.sh
. scripts/lockenv.sh
stamp=".venv/.installed-$(cat pyproject.toml "$LOCK" | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  if [ ! -x .venv/bin/uv ] || [ "$(.venv/bin/uv --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    say "installing uv $UV_VERSION into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check "uv==$UV_VERSION" 2>&1 \
      | { grep -v "^WARNING: Location '.*' is ignored" || true; }
  fi
  if lock_fits .venv/bin/python; then
    say "installing the workbench into .venv from $LOCK"
    .venv/bin/uv pip sync -q --compile-bytecode --python .venv/bin/python "${UV_TORCH_ARGS[@]}" "$LOCK"
  else
    say "warning: $LOCK is for CPython 3.11 on Linux x86_64, and .venv has $(.venv/bin/python -V 2>&1) on $(uname -m)"
    say "installing from pyproject.toml's ranges instead (not the versions CI tested; to use the lock: rm -rf .venv && PYTHON=python3.11 ./run_workbench.sh)"
    .venv/bin/uv pip install -q --compile-bytecode --python .venv/bin/python "${UV_TORCH_ARGS[@]}" -c constraints.txt ".[all,test]"
  fi
  .venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e .
  rm -f .venv/.installed-*; touch "$stamp"
fi
# the checkout's own modules as bytecode too (uv compiled the packages), so that no process (app,
# CLI, test servers) recompiles them where PYTHONDONTWRITEBYTECODE is set; quick when up to date
.venv/bin/python -m compileall -q -j 0 workbench ui pages app.py >/dev/null 2>&1 || true

# ---------------------------------------------------------------- database with the sample sets
.venv/bin/workbench db init --samples

if [ "$MODE" = setup ]; then say "setup done"; exit 0; fi

# ---------------------------------------------------------------- tests
if [ "$MODE" = test ]; then
  # vLLM's CPU build in its own .venv-vllm (once; the serving tests start real vLLM servers from it).
  # WORKBENCH_SKIP_VLLM=1 skips it (those tests are then skipped with the reason).
  if [ "${WORKBENCH_SKIP_VLLM:-0}" != 1 ]; then
    PYTHON="$PY" scripts/setup_vllm_venv.sh .venv-vllm \
      || say "vLLM could not be installed into .venv-vllm; its tests will be skipped"
  fi
  say "running the test suite (2 workers, one test file per worker at a time; -n 0 runs it in one process)"
  exec .venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@"
fi

# ---------------------------------------------------------------- app
# A port or address given on the command line wins; the printed URL is the one served.
PORT="" ADDRESS="127.0.0.1"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --server.port=*) PORT="${args[$i]#*=}" ;;
    --server.port) PORT="${args[$((i + 1))]:-}" ;;
    --server.address=*) ADDRESS="${args[$i]#*=}" ;;
    --server.address) ADDRESS="${args[$((i + 1))]:-}" ;;
  esac
done
extra=()
if [ -z "$PORT" ]; then
  PORT="$(.venv/bin/python - <<'PY'
import socket
for port in range(8501, 8600):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port); break
PY
)"
  [ "$PORT" = 8501 ] || say "port 8501 is busy; using $PORT instead"
  extra+=(--server.port "$PORT")
fi
HOST="$ADDRESS"; [ "$HOST" = 0.0.0.0 ] && HOST="$(hostname -f 2>/dev/null || echo 0.0.0.0)"
say "starting the workbench at http://$HOST:$PORT  (Ctrl+C to stop)"
exec .venv/bin/streamlit run app.py --server.address 127.0.0.1 --server.headless true \
  --server.fileWatcherType none --browser.gatherUsageStats false "${extra[@]}" "$@"
