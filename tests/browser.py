"""The real-browser scaffolding shared by every browser test (loaded by tests/conftest.py).

Debian's chromium driven by pip's playwright (never a downloaded browser), against
`streamlit run app.py` started the way run_workbench.sh starts it. One browser per test module
(`browser` fixture); each test opens its own pages. Screenshots go to test-artifacts/ (git-ignored);
the README's screenshots in docs/screenshots/ are only written by `scripts/screenshots`
(WORKBENCH_SCREENSHOTS=1), never by a plain test run.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SHOTS = ROOT / "docs" / "screenshots"
VENV_BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 90_000                # the build machine is shared and often busy
VIEWPORT = {"width": 1500, "height": 1000}

try:   # expect(...) assertions wait as long as locators do (their default is 5 s)
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=TIMEOUT_MS)
except ImportError:  # pragma: no cover - the browser tests skip without playwright
    pass


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(folder: Path, **extra: str) -> dict:
    """An environment with its own db (with the samples) and home in `folder`."""
    env = dict(os.environ, WORKBENCH_DB=str(folder / "workbench.db"), WORKBENCH_HOME=str(folder / "home"),
               **extra)
    subprocess.run([str(VENV_BIN / "workbench"), "db", "init", "--samples"], env=env, cwd=ROOT,
                   check=True, capture_output=True, timeout=120)
    return env


def start_streamlit(folder: Path, env: dict, extra: list[str] | None = None):
    """Start `streamlit run app.py` on a free port and wait for /_stcore/health.
    Returns (process, log file, url, port)."""
    port = free_port()
    log = open(folder / f"streamlit-{port}.log", "wb")
    cmd = [str(VENV_BIN / "streamlit"), "run", "app.py", "--server.port", str(port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", *(extra or [])]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("streamlit did not start:\n" + Path(log.name).read_text())
        time.sleep(0.3)
    return proc, log, url, port


def stop_streamlit(proc, log) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@contextlib.contextmanager
def streamlit(folder: Path, env: dict, extra: list[str] | None = None) -> Iterator[str]:
    """A running app for the `with` block; yields its URL."""
    proc, log, url, _port = start_streamlit(folder, env, extra)
    try:
        yield url
    finally:
        stop_streamlit(proc, log)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def new_page(browser, **kw):
    page = browser.new_page(viewport=VIEWPORT, **kw)
    page.set_default_timeout(TIMEOUT_MS)
    return page


def idle(page, wait_ms: int = 400) -> None:
    """Wait until the script run finished (Streamlit shows a running indicator meanwhile, in
    English or Chinese)."""
    page.wait_for_timeout(wait_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.match(/Running|运行/)",
        timeout=TIMEOUT_MS)


def shot(page, name: str, *, readme: bool = False, wait_ms: int = 400) -> None:
    """A full-page screenshot into test-artifacts/; `readme=True` also refreshes the README's
    docs/screenshots/<name>.png, but only under scripts/screenshots (WORKBENCH_SCREENSHOTS=1)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(wait_ms)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if readme and os.environ.get("WORKBENCH_SCREENSHOTS", "") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
