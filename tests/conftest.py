"""Shared fixtures (plain helpers such as `random_image` and the `CSV` text live in tests/helpers.py).

Every test gets its own SQLite db and cache folder through WORKBENCH_DB /
WORKBENCH_HOME, so no test ever touches data/workbench.db.

  isolated_workbench   (autouse) the test's tmp_path, with WORKBENCH_DB / WORKBENCH_HOME inside it
  store                a Store on the test's own db, closed afterwards
  candidates_csv       tests/helpers.CSV written to <tmp_path>/c.csv (two labelled sets, EN + ZH)
  tiny_checkpoint      a random tiny Qwen2.5-VL checkpoint (built once per session)
  tiny_qwen3_checkpoint  the same for the Qwen3-VL (Qwen3-VL-Reranker) architecture

Markers: `slow` (benchmark smoke tests and long runs; CI runs them, nothing deselects them by
default), `browser`, `vllm`, `gpu`.

ranx (the reference the metrics are tested against) compiles its numba kernels in every process:
73 s cold on this machine, 10 s from numba's cache. The cache lives outside the checkout, in the
user's cache folder (like uv's), so that later runs and fresh clones on the same machine reuse it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "lychee-workbench" / "numba"))

from tests.helpers import CSV

pytest_plugins = ["tests.browser", "tests.pg"]   # real-browser fixtures; a throwaway PostgreSQL (pg.py)


@pytest.fixture(autouse=True)
def isolated_workbench(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "workbench.db"))
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("WORKBENCH_MODEL", raising=False)
    return tmp_path


@pytest.fixture
def store(isolated_workbench):
    """A Store on the test's own db (WORKBENCH_DB), closed after the test."""
    from workbench.store import Store

    s = Store()
    yield s
    s.close()


@pytest.fixture
def candidates_csv(tmp_path):
    """Path of the shared two-set candidate CSV (tests/helpers.CSV) written to tmp_path/c.csv."""
    path = tmp_path / "c.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """Path (str) of a random tiny Qwen2.5-VL checkpoint, built once per test session."""
    from workbench.testing.tiny import build_tiny_checkpoint

    return str(build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-checkpoint") / "tiny"))


@pytest.fixture(scope="session")
def tiny_qwen3_checkpoint(tmp_path_factory):
    """Path (str) of a random tiny Qwen3-VL (Qwen3-VL-Reranker architecture) checkpoint,
    built once per test session."""
    from workbench.testing.tiny import build_tiny_checkpoint

    folder = tmp_path_factory.mktemp("tiny-qwen3-checkpoint") / "tiny-qwen3"
    return str(build_tiny_checkpoint(folder, family="qwen3-vl"))
