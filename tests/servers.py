"""Real servers for the serving tests: vLLM's OpenAI server (from .venv-vllm) and `workbench serve`.

Each server runs in its own process group on 127.0.0.1 and a free port; `stop()` kills the
group (vLLM's engine core is a child process). Logs go to a file whose tail is shown when a
server fails to start.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
VLLM_PYTHON = Path(os.environ.get("WORKBENCH_VLLM_PYTHON") or REPO / ".venv-vllm" / "bin" / "python")
VLLM_ENV = {"VLLM_TARGET_DEVICE": "cpu", "VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1",
            "VLLM_NO_USAGE_STATS": "1", "TOKENIZERS_PARALLELISM": "false"}
LYCHEE_POOLING = ('{"architectures": ["Qwen2_5_VLForSequenceClassification"], '
                  '"classifier_from_token": ["no", "yes"], "method": "from_2_way_softmax"}')
QWEN3_POOLING = ('{"architectures": ["Qwen3VLForSequenceClassification"], '
                 '"classifier_from_token": ["no", "yes"], "is_original_qwen3_reranker": true}')


def vllm_available() -> bool:
    return VLLM_PYTHON.is_file()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, cmd: list[str], log: Path, env: dict[str, str] | None = None, health: str = "/health"):
        self.port = free_port()
        self.cmd = [c.replace("{port}", str(self.port)) for c in cmd]
        self.log = log
        self.health = health
        full_env = {**os.environ, **(env or {})}
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(self.cmd, stdout=self._log_file, stderr=subprocess.STDOUT, env=full_env,
                                     start_new_session=True, cwd=str(REPO))

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.root}/v1"

    def wait(self, timeout: float = 600) -> "Server":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}): {' '.join(self.cmd)}\n{self.tail()}")
            try:
                if httpx.get(self.root + self.health, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"server not healthy after {timeout:.0f}s: {' '.join(self.cmd)}\n{self.tail()}")

    def tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the whole process group (a crashed replica)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)   # children left behind (engine core)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self._log_file.close()

    def metric(self, name: str) -> float:
        """Sum of a Prometheus counter over its labels (vLLM's /metrics)."""
        text = httpx.get(self.root + "/metrics", timeout=10).text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith(name + "{") or line.startswith(name + " "))


def vllm_server(model: str, log: Path, *extra: str) -> Server:
    """Start (not wait for) a vLLM OpenAI server on a tiny checkpoint, with the CPU recipe of docs/ENVIRONMENT.md."""
    cmd = [str(VLLM_PYTHON), "-m", "vllm.entrypoints.openai.api_server", "--model", model,
           "--dtype", "float32", "--max-model-len", "4096", "--host", "127.0.0.1", "--port", "{port}",
           "--enforce-eager", *extra]
    return Server(cmd, log, env=VLLM_ENV)


def workbench_server(model: str, log: Path, *extra: str) -> Server:
    cmd = [sys.executable, "-m", "workbench", "serve", "--model", model, "--port", "{port}", *extra]
    env = {"PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return Server(cmd, log, env=env)
